"""Time per call of the experiments (issue 11) on real drawn digits, on one thread: p50 and p90 of each function,
with its picture and HTML, and the start-up cost of the filter_top lookup.

Run from the repository root: `python -m bench.bench_experiments`.
"""
import statistics
import time
from pathlib import Path

import torch

from bench.common import arguments, png, timed
from harness import DEV
from mnist_cnn.checkpoint import load_model
from mnist_cnn.data import load_mnist, normalise
from mnist_cnn.experiments import moved, occlusion, sandbox, shift_curve
from mnist_cnn.filter_top import load_filter_top, top_patches
from mnist_cnn.preprocess import prepare
from mnist_cnn.strokes import draw_strokes, load_samples
from web.render_experiments import (
    filter_top_html,
    filter_top_picture,
    occlusion_html,
    occlusion_picture,
    sandbox_html,
    sandbox_picture,
    shift_html,
)


def drawn_inputs(path: Path, n: int) -> tuple[list[torch.Tensor], str]:
    """n pen-drawn digits prepared as the app prepares them (MNIST test digits without the strokes file)."""
    if Path(path).is_file():
        return [prepare(draw_strokes(s["strokes"])).tensor for s in load_samples(path)[:n]], f"{n} drawn digits"
    images, _ = load_mnist("test")
    return [normalise(images[i:i + 1]) for i in range(n)], f"{n} MNIST test digits ({path} not found)"


def main() -> None:
    args = arguments(__doc__, {"runs": (50, "calls per function, one drawn digit each"),
                               "strokes": (DEV, "pen strokes json of drawn digits")})
    torch.set_num_threads(1)
    model = load_model()
    xs, what = drawn_inputs(args.strokes, args.runs)

    start = time.perf_counter()
    record = load_filter_top()
    load_ms = 1000 * (time.perf_counter() - start)
    start = time.perf_counter()
    images, _ = load_mnist("test")
    mnist_ms = 1000 * (time.perf_counter() - start)

    def guess(x):
        with torch.no_grad():
            return int(model(x).argmax())

    runs = [(i, x, guess(x)) for i, x in enumerate(xs)]
    cases = {
        "sandbox": lambda r: sandbox(model, r[1], r[0] % 3, 1 + r[0] % 3, r[0] % 32, 1 + r[0] % 2),
        "sandbox + html + png": lambda r: (lambda s: (sandbox_html(s, "es"), png(sandbox_picture(s))))(
            sandbox(model, r[1], r[0] % 3, 1 + r[0] % 3, r[0] % 32, 1 + r[0] % 2)),
        "moved + forward": lambda r: model(moved(r[1], 3, -2, 20, 0.8, 1)),
        "shift_curve": lambda r: shift_curve(model, r[1], r[2]),
        "shift_curve + html": lambda r: shift_html(shift_curve(model, r[1], r[2]), "es"),
        "occlusion": lambda r: occlusion(model, r[1], r[2]),
        "occlusion + html + png": lambda r: (lambda o: (occlusion_html(o, "es"), png(occlusion_picture(o, r[1]))))(
            occlusion(model, r[1], r[2])),
        "top_patches (a click)": lambda r: top_patches(record, images, ("conv1", "conv2")[r[0] % 2], r[0] % 32),
        "top_patches + html + png": lambda r: (filter_top_html(record, "conv2", r[0] % 64, "es"), png(
            filter_top_picture(top_patches(record, images, "conv2", r[0] % 64)))),
    }
    print(f"{what}, 1 thread; ms per call")
    print(f"{'function':<28} {'p50':>7} {'p90':>7}")
    with torch.no_grad():
        for name, fn in cases.items():
            times = timed(fn, runs)
            deciles = statistics.quantiles(times, n=10)
            print(f"{name:<28} {statistics.median(times):7.2f} {deciles[8]:7.2f}")
    print(f"start-up: load_filter_top {load_ms:.1f} ms; the MNIST test split it crops from {mnist_ms:.1f} ms "
          f"(the app already loads it for the gallery)")


if __name__ == "__main__":
    main()
