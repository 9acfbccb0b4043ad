"""How long the app takes to read a visitor's own network and measure it, on one thread: load_own_model on a
notebook-style cnn.pt (and a .safetensors), then its accuracy on the fixed, stratified test subset; also what the
whole 10,000-digit test split would take.

Run from the repository root: `python -m bench.bench_own_model`. Figures are printed, not asserted.
"""
import statistics
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

from bench.common import arguments
from mnist_cnn.checkpoint import load_model
from mnist_cnn.data import load_mnist, normalise
from mnist_cnn.own_model import accuracy, accuracy_digits, load_own_model


def timed(runs: int, work) -> tuple[float, float, float]:
    """Median and slowest wall time of runs calls of work(), and their median CPU time (what other processes on a
    shared machine do not lengthen), in ms."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        work()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1000 * statistics.median(wall), 1000 * max(wall), 1000 * statistics.median(cpu)


def main() -> None:
    args = arguments(__doc__, {"runs": (15, "timed runs of each step")})
    torch.set_num_threads(1)
    images, labels = load_mnist("test")
    digits = accuracy_digits(images, labels)
    state = load_model().state_dict()
    with tempfile.TemporaryDirectory() as folder:
        pt, st = Path(folder) / "cnn.pt", Path(folder) / "cnn.safetensors"
        torch.save(state, pt)
        save_file({k: v.contiguous() for k, v in state.items()}, str(st))
        accuracy(load_own_model(pt), digits)  # warm-up
        for path in (pt, st):
            load_ms = timed(args.runs, lambda: load_own_model(path))
            both_ms = timed(args.runs, lambda: accuracy(load_own_model(path), digits))
            print(f"{path.name}: load p50 {load_ms[0]:.1f} ms (max {load_ms[1]:.1f}); load + accuracy on "
                  f"{len(digits[1])} test digits p50 {both_ms[0]:.0f} ms (max {both_ms[1]:.0f}, CPU p50 {both_ms[2]:.0f})")
        model, everything = load_own_model(pt), (normalise(images), labels)
        full_ms = timed(3, lambda: accuracy(model, everything))
        print(f"accuracy on all {len(labels)} test digits: p50 {full_ms[0]:.0f} ms (CPU {full_ms[2]:.0f}); "
              f"{100 * accuracy(model, digits):.1f}% on the subset, {100 * accuracy(model, everything):.2f}% on all")


if __name__ == "__main__":
    main()
