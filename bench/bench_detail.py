"""Median time per drawing of the close-up panels (issue 5): numbers, pictures and tables, on one thread.

Run from the repository root: `python -m bench.bench_detail`.
"""
import statistics
import time

import torch

from bench.common import arguments, png, timed
from mnist_cnn.analysis import kernel_detail, saliency, softmax_steps
from mnist_cnn.checkpoint import load_model
from mnist_cnn.data import load_mnist, normalise
from mnist_cnn.mistakes import load_mistakes
from mnist_cnn.pipeline import activations
from web.render_detail import kernel_html, kernel_picture, saliency_picture, softmax_html
from web.views import mistakes_html


def main() -> None:
    args = arguments(__doc__, {"n": (50, "test digits to time")})
    torch.set_num_threads(1)
    model = load_model()
    images, _ = load_mnist("test")
    xs = [normalise(images[i:i + 1]) for i in range(args.n)]

    def acts(x):  # without the batch dimension, as the app keeps them
        with torch.no_grad():
            return activations(model, x)

    cases = {
        "forward pass (for reference)": lambda x: acts(x),
        "kernel_detail conv1 (own forward)": lambda x: kernel_detail(model, x, "conv1", 7),
        "kernel_detail conv2 (reusing acts)": lambda x: kernel_detail(model, x, "conv2", 7, acts(x)),
        "kernel_detail conv2 + html + png": lambda x: (lambda d: (kernel_html(d, "es"), png(kernel_picture(d))))(
            kernel_detail(model, x, "conv2", 7)),
        "saliency": lambda x: saliency(model, x),
        "saliency + picture png": lambda x: png(saliency_picture(x, saliency(model, x))),
        "softmax_steps + html (from acts)": lambda x: softmax_html(softmax_steps(acts(x)["logits"]), "es"),
    }
    for name, fn in cases.items():
        print(f"{name:<40} {statistics.median(timed(fn, xs)):6.2f} ms")
    t = time.perf_counter()
    mistakes = load_mistakes()
    gallery = mistakes_html(mistakes, images)
    print(f"{'load_mistakes + gallery (once at start)':<40} {1000 * (time.perf_counter() - t):6.2f} ms "
          f"({len(mistakes)} digits, {len(gallery):,} characters)")


if __name__ == "__main__":
    main()
