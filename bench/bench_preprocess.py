"""How long one drawing takes from the canvas to the prediction (preprocessing, then one forward pass), on one thread,
and how much the MNIST recipe matters: accuracy on the pen-drawn dev set against simply resizing the canvas to 28×28.

Run from the repository root: `python -m bench.bench_preprocess`. The drawings are real pen-drawn UNIPEN digits,
used only for measuring.
"""
import random
import statistics
import time

import numpy as np
import torch
from PIL import Image, ImageOps

from bench.common import arguments
from harness import DEV
from mnist_cnn.checkpoint import load_model
from mnist_cnn.data import normalise
from mnist_cnn.preprocess import prepare
from mnist_cnn.strokes import load_samples, random_drawing


def naive(img: Image.Image) -> torch.Tensor:
    """What many demos do: shrink the whole canvas to 28×28 and invert it."""
    return normalise(torch.from_numpy(np.array(ImageOps.invert(img.resize((28, 28), Image.Resampling.LANCZOS))))[None])


def ms(seconds: list[float]) -> str:
    """Median and 90th percentile of timings, in ms."""
    return f"p50 {1000 * statistics.median(seconds):.2f} ms, p90 {1000 * np.percentile(seconds, 90):.2f} ms"


def main() -> None:
    args = arguments(__doc__, {"strokes": (DEV, "strokes json to draw the digits from"),
                               "repeats": (3, "timed passes over the drawings")})
    torch.set_num_threads(1)
    model = load_model()
    rng = random.Random(0)
    samples = load_samples(args.strokes)
    drawings = [(random_drawing(s["strokes"], rng), s["label"]) for s in samples]

    prep, forward, total = [], [], []
    with torch.no_grad():
        for _ in range(args.repeats):
            for img, _ in drawings:
                t0 = time.perf_counter()
                x = prepare(img).tensor
                t1 = time.perf_counter()
                model(x, return_activations=True)
                t2 = time.perf_counter()
                prep.append(t1 - t0), forward.append(t2 - t1), total.append(t2 - t0)
        ours = np.mean([model(prepare(img).tensor).argmax().item() == y for img, y in drawings])
        plain = np.mean([model(naive(img)).argmax().item() == y for img, y in drawings])

    print(f"{len(drawings)} drawings × {args.repeats}, 1 thread")
    print(f"preprocess           {ms(prep)}")
    print(f"forward pass         {ms(forward)}")
    print(f"preprocess + forward {ms(total)}")
    print(f"accuracy: MNIST recipe {100 * ours:.1f}%, canvas resized to 28×28 {100 * plain:.1f}%")


if __name__ == "__main__":
    main()
