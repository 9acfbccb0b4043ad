"""CPU time and peak memory of reading the red team's crafted networks (tests/test_red_team_networks.py: tiny pickles
of calls torch's weights_only allows, pickles of millions of cheap opcodes) and of the shipped weights, each read in a
fresh process by own_model.load_own_model as it is now and, with --before REV, as it was at a git revision: medians of
--runs runs, and the sentence each file got. Run from the repository root:
`python -m bench.bench_own_pickles --before 45ed72f`.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from bench.common import arguments, test_module
from harness import REPO
from mnist_cnn.checkpoint import load_model

# One read in a fresh process: argv is the file, own_model.py's path. The peak is VmHWM once /proc's clear_refs has
# reset it to the memory in use just before the read.
CHILD = """
import importlib.util, json, sys, time
from pathlib import Path
import torch
torch.set_num_threads(1)
spec = importlib.util.spec_from_file_location("mnist_cnn.own_model_read", sys.argv[2])
own = importlib.util.module_from_spec(spec)
spec.loader.exec_module(own)
def kb(field):
    return next(int(l.split()[1]) for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(field))
before = kb("VmRSS:")
Path("/proc/self/clear_refs").write_text("5")
start = time.process_time()
try:
    own.load_own_model(sys.argv[1])
    said = "read"
except own.InputError as e:
    said = e.key
print(json.dumps({"cpu": time.process_time() - start, "peak": (kb("VmHWM:") - before) / 1024, "said": said}))
"""


def crafted() -> dict[str, bytes]:
    """tests/test_red_team_networks.py's crafted files, by name."""
    return test_module("test_red_team_networks").CRAFTED


def read_once(path: Path, own_model: Path) -> dict:
    """cpu (s), peak (MB above what the process held before) and the sentence's key of one read in a new process."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(own_model)], cwd=REPO, capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    args = arguments(__doc__, {"runs": (3, "reads of each file by each version (medians are shown)"),
                               "before": (None, "a git revision whose own_model.py to compare with"),
                               "files": ("bytearray,counter", "crafted files to read, by name (or: all)")})
    files = crafted()
    names = list(files) if args.files == "all" else args.files.split(",")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        versions = {"now": REPO / "mnist_cnn" / "own_model.py"}
        if args.before:
            versions[args.before] = folder / "own_model_before.py"
            versions[args.before].write_text(subprocess.run(
                ["git", "show", f"{args.before}:mnist_cnn/own_model.py"], cwd=REPO, capture_output=True, text=True,
                check=True).stdout)
        for name in names:
            (folder / f"{name}.pt").write_bytes(files[name])
        torch.save(load_model().state_dict(), folder / "shipped.pt")
        print(f"{'file':<15} {'bytes':>9}  {'version':<8} {'CPU s':>7} {'peak MB':>8}  sentence")
        for name in [*names, "shipped"]:
            path = folder / f"{name}.pt"
            for version, source in versions.items():
                runs = [read_once(path, source) for _ in range(args.runs)]
                cpu, peak = (statistics.median(r[k] for r in runs) for k in ("cpu", "peak"))
                print(f"{name:<15} {path.stat().st_size:>9}  {version:<8} {cpu:>7.3f} {peak:>8.1f}  "
                      f"{', '.join(sorted({r['said'] for r in runs}))}", flush=True)


if __name__ == "__main__":
    main()
