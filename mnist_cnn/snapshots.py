"""Snapshots of the training run that made the shipped weights, to watch a network learn: its weights at a few steps
and epochs (fp16, one safetensors file) and a json with each one's MNIST test accuracy and the run's loss curve.
"""
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from .checkpoint import WEIGHTS, sha256
from .model import Net

STEPS = (0, 10, 50, 200, 1000)  # the early steps, where the network changes most; then every other epoch and the last
LOSS_EVERY = 20  # steps per point of the loss curve
FIX = "make them again with `python -m mnist_cnn.train`"


def snapshots_path(weights: Path) -> Path:
    """The snapshots file of a training run, beside its weights."""
    return Path(weights).with_name("snapshots.safetensors")


SNAPSHOTS = snapshots_path(WEIGHTS)


class StaleSnapshotsError(ValueError):
    """The snapshots are missing or come from another run than the weights; str() is one sentence with the fix."""


@dataclass(frozen=True)
class Snapshot:
    """The network at one moment of its training."""
    step: int
    epoch: float  # fractional: step / steps per epoch
    label: str  # e.g. "random start", "200 steps", "epoch 3"
    test_accuracy: float  # on the 10,000 MNIST test digits
    model: Net  # eval mode, float32 weights


def keeps_epoch(epoch: int, epochs: int) -> bool:
    """Whether the end of this epoch gets a snapshot: every other epoch (1, 3, 5...) and the last, to stay small."""
    return epoch % 2 == 1 or epoch == epochs


def save_snapshots(snapshots: dict[int, tuple[dict, dict]], loss_curve: list[tuple[int, float]],
                   weights: Path, path: Path = SNAPSHOTS) -> None:
    """Write {step: (record, state_dict)} as fp16 safetensors (keys "step000200.conv1.weight") and a json beside
    with the records, the loss curve and the SHA-256 of the final weights."""
    path = Path(path)
    save_file({f"step{step:06d}.{k}": v.half().contiguous()
               for step, (_, state) in snapshots.items() for k, v in state.items()}, str(path))
    record = {"weights_sha256": sha256(weights), "snapshots": [r for r, _ in snapshots.values()],
              "loss_every": LOSS_EVERY, "loss_curve": [[s, round(v, 4)] for s, v in loss_curve]}
    path.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")


def read_record(path: Path, weights: Path) -> dict:
    """The snapshots' json; StaleSnapshotsError if a file is missing or they belong to other weights."""
    path = Path(path)
    for f in (path, path.with_suffix(".json")):
        if not f.is_file():
            raise StaleSnapshotsError(f"There are no training snapshots at {f}: {FIX}.")
    record = json.loads(path.with_suffix(".json").read_text())
    if record.get("weights_sha256") != sha256(weights):
        raise StaleSnapshotsError(f"{path.name} comes from another training run than {Path(weights).name}: {FIX}.")
    return record


def load_snapshots(path: Path = SNAPSHOTS, weights: Path = WEIGHTS) -> list[Snapshot]:
    """The snapshots in training order, each a Net in eval mode with float32 weights."""
    record, tensors = read_record(path, weights), load_file(str(path))
    out = []
    for r in record["snapshots"]:
        prefix = f"step{r['step']:06d}."
        model = Net()
        model.load_state_dict({k[len(prefix):]: v.float() for k, v in tensors.items() if k.startswith(prefix)})
        out.append(Snapshot(r["step"], r["epoch"], r["label"], r["test_accuracy"], model.eval()))
    return out


def load_loss_curve(path: Path = SNAPSHOTS, weights: Path = WEIGHTS) -> list[tuple[int, float]]:
    """(step, mean training loss of the LOSS_EVERY steps up to it) for the whole run."""
    return [(int(s), float(v)) for s, v in read_record(path, weights)["loss_curve"]]


@torch.no_grad()
def state_copy(model: Net) -> dict[str, torch.Tensor]:
    """A copy of the model's weights now, to keep while training goes on."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
