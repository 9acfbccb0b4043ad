"""The red team's images and two ordinary uploads, read by this tree's code and by another's (--old: the code before
images were read with a budget, made with `git archive 45ed72f | tar -x -C DIR`), each case in a fresh process, as
the page reads it (the pad: inputs.drawing, then prepare; an upload: prepare of its path). Prints for each its
answer, wall time, the server process's CPU time and peak memory above its own after its imports, and its workers'
CPU time and peak memory (a worker killed on the way is not counted); for the pad drawing and the ordinary uploads,
the median time of a reading (workers warm) and the time of the first (a worker started). Then the workers'
overhead alone, in one process: each ordinary upload read here and by a worker in turn, --repeats times.

Run from the repository root: `python -m bench.bench_images --old DIR`.
"""
import base64
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from bench.common import arguments, test_module
from harness import REPO
from mnist_cnn.strokes import draw_strokes

SEVEN = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]  # pen strokes in the unit square

# What each fresh process runs: read one case `times` times, then say how it went as JSON on its last line
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from mnist_cnn import inputs
from mnist_cnn.preprocess import prepare

def memory(key, pid="self"):  # MB; VmHWM is the peak since the process's exec (ru_maxrss outlives an exec)
    return int(next(l for l in open(f"/proc/{pid}/status") if l.startswith(key + ":")).split()[1]) / 1024

kind, path, times = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
base = memory("VmRSS")

def read():
    if kind == "pad":
        png = inputs.drawing(path.read_text())
        return prepare(png) if png is not None else None
    return prepare(path)

seconds, cpu, said = [], time.process_time(), "read"
for _ in range(times):
    t = time.perf_counter()
    try:
        read()
    except Exception as e:  # InputError: its key; anything else escaped the checks
        said = getattr(e, "key", None) or "escaped: " + type(e).__name__
    seconds.append(time.perf_counter() - t)
cpu, workers = time.process_time() - cpu, [0]
try:
    from mnist_cnn import worker
    workers += [memory("VmHWM", w.process.pid) for w in worker.READERS.idle]
    worker.READERS.close()
except ImportError:  # the code before files were read by workers
    pass
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"said": said, "seconds": seconds, "cpu": cpu, "rss": memory("VmHWM") - base,
                  "worker_rss": max(workers), "worker_cpu": children.ru_utime + children.ru_stime}))
"""


def red_team():
    """tests/test_red_team_images.py, whose functions make the red team's files."""
    return test_module("test_red_team_images")


def rgba_png(side: int) -> bytes:
    """A side×side RGBA PNG of zeros, as the red team's ICO held (12000²: 560 KB, 576 MB once decoded)."""
    chunk = red_team().chunk
    packer = zlib.compressobj(6)
    row = bytes(1 + 4 * side)
    pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = chunk(b"IHDR", side.to_bytes(4, "big") * 2 + bytes([8, 6, 0, 0, 0]))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def photo(target: int = 2_000_000) -> bytes:
    """A photo-like JPEG of about target bytes: 3000×2000, smooth shapes and fine grain, quality 90."""
    rng = np.random.default_rng(0)
    shapes = Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)).resize((3000, 2000), Image.BICUBIC)
    for grain in (4, 6, 8, 10, 12):
        a = np.asarray(shapes, dtype=np.int16) + rng.normal(0, grain, (2000, 3000, 1)).astype(np.int16)
        buffer = io.BytesIO()
        Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=90)
        if buffer.tell() >= target:
            break
    return buffer.getvalue()


def cases(folder: Path) -> list[tuple[str, str, Path, int]]:
    """(name, kind, file, times): each case's file written in folder."""
    team = red_team()
    made = {
        "8. pad PNG, IHDR 13000² behind a 280×280 chunk": ("pad", lambda: team.decoy_png(13_000), 1),
        "8. pad PNG, IHDR 14000² behind a 280×280 chunk": ("pad", lambda: team.decoy_png(14_000), 1),
        "9. ICO holding a 12000² RGBA PNG": ("upload", lambda: team.ico_holding(rgba_png(12_000)), 1),
        "9. ICO holding a 12000² 1-bit PNG": ("upload", lambda: team.ico_holding(team.one_bit_png(12_000)), 1),
        "9. ICNS holding a 12000² 1-bit PNG": ("upload", lambda: team.icns_holding(team.one_bit_png(12_000)), 1),
        "10. progressive JPEG, last scan ×20,000": ("upload", team.repeated_last_scan, 1),
        "a pad drawing (280×280 PNG data URL)": ("pad", lambda: draw_strokes(SEVEN), 20),
        "upload: a 280×280 PNG": ("upload", lambda: draw_strokes(SEVEN), 20),
        "upload: a 2 MB photo-like JPEG": ("upload", photo, 10),
    }
    out = []
    for i, (name, (kind, make, times)) in enumerate(made.items()):
        data = make()
        if isinstance(data, Image.Image):
            buffer = io.BytesIO()
            data.save(buffer, "PNG")
            data = buffer.getvalue()
        path = folder / f"case{i}"
        if kind == "pad":
            path.write_text("data:image/png;base64," + base64.b64encode(data).decode())
        else:
            path.write_bytes(data)
        out.append((f"{name} ({len(data) / 1e3:.0f} KB)", kind, path, times))
    return out


def run(tree: Path, kind: str, path: Path, times: int) -> dict:
    """One case read by the code of tree, in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", CHILD, kind, str(path), str(times)], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        return {"said": f"died ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}", "seconds": [0],
                "cpu": 0, "rss": 0, "worker_rss": 0, "worker_cpu": 0}
    return json.loads(done.stdout.strip().splitlines()[-1])


def line(tree: str, got: dict) -> str:
    seconds = got["seconds"]
    timing = f"{seconds[0]:7.2f} s" if len(seconds) == 1 else \
        f"median {1000 * float(np.median(seconds[1:])):6.1f} ms, first {1000 * seconds[0]:6.1f} ms"
    return (f"  {tree:5s} {got['said'][:34]:34s} {timing}  cpu {got['cpu']:6.2f} s  +{got['rss']:6.0f} MB   "
            f"workers: cpu {got['worker_cpu']:5.2f} s, peak {got['worker_rss']:5.0f} MB")


def overhead(path: Path, repeats: int) -> str:
    """The time of reading a file by a worker less that of reading it here, alternating: medians, in ms."""
    from mnist_cnn import images, worker

    here, there = [], []
    worker.read_grey(path)  # a worker started
    for _ in range(repeats):
        for times, read in ((here, lambda: images.work_grey(images.load_image(path))),
                            (there, lambda: worker.read_grey(path))):
            t = time.perf_counter()
            read()
            times.append(1000 * (time.perf_counter() - t))
    return (f"here {statistics.median(here):6.1f} ms, by a worker {statistics.median(there):6.1f} ms: "
            f"+{statistics.median(there) - statistics.median(here):.1f} ms (medians of {repeats})")


def main() -> None:
    args = arguments(__doc__, {"old": (None, "another tree of this code to compare with (omit: this tree only)"),
                               "repeats": (30, "readings of each ordinary upload, for the workers' overhead")})
    trees = {"new": REPO} | ({"old": Path(args.old).resolve()} if args.old else {})
    with tempfile.TemporaryDirectory() as folder:
        made = cases(Path(folder))
        for name, kind, path, times in made:
            print(name)
            for tree, root in trees.items():
                print(line(tree, run(root, kind, path, times)), flush=True)
        print("The workers' overhead, this tree, in one process")
        for name, kind, path, _ in made:
            if name.startswith("upload:"):
                print(f"  {name}: {overhead(path, args.repeats)}", flush=True)


if __name__ == "__main__":
    main()
