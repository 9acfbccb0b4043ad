"""What the benchmark scripts share: their argument parser, percentiles in ms, timing a function, a process's memory
and CPU time, PNG bytes as Gradio sends them, a test file's helpers, and the pen-drawn dev digits (harness.DEV) for measuring only."""
import argparse
import importlib.util
import io
import os
import statistics
import time
from pathlib import Path

from harness import DEV, REPO
from mnist_cnn.strokes import load_samples


def arguments(doc: str, options: dict[str, tuple]) -> argparse.Namespace:
    """The command line, parsed: options maps each option's name to (default, help) or (default, help, choices);
    its type is its default's (an option whose default is None takes a string), --help shows doc and the defaults."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    for name, (default, said, *choices) in options.items():
        parser.add_argument("--" + name.replace("_", "-"), default=default, help=said, choices=choices or None,
                            type=str if default is None else type(default))
    return parser.parse_args()


def test_module(name: str):
    """tests/<name>.py loaded as a module, for what it makes (the red team's files, the attacks); its tests do not
    run."""
    spec = importlib.util.spec_from_file_location(name, REPO / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def quantile(values: list[float], q: int) -> float:
    """The q-th percentile (1-99) of values."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def spread(ms: list[float], high: int = 90, digits: int = 1) -> str:
    """"p50 … ms, p90 … ms (n …)" of timings in ms."""
    return f"p50 {statistics.median(ms):.{digits}f} ms, p{high} {quantile(ms, high):.{digits}f} ms (n {len(ms)})"


def timed(fn, args: list, warm_up: bool = True) -> list[float]:
    """Wall time of fn(arg) in ms for each arg, after one warm-up call."""
    if warm_up:
        fn(args[0])
    times = []
    for arg in args:
        t = time.perf_counter()
        fn(arg)
        times.append(1000 * (time.perf_counter() - t))
    return times


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default) in MB, from /proc (VmRSS is in kB)."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]) / 1024


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far, from /proc (fields 14 and 15 of stat, in ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def png(img) -> bytes:
    """PNG bytes, as Gradio would send them."""
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def dev_samples(path: Path = DEV, strokes: int | None = None) -> list[dict]:
    """The pen-drawn dev digits (those of exactly `strokes` strokes, if given), spread over the 10 classes."""
    samples = [s for s in load_samples(path) if strokes is None or len(s["strokes"]) == strokes]
    by_digit = [[s for s in samples if s["label"] == d] for d in range(10)]
    return [s for row in zip(*by_digit) for s in row]
