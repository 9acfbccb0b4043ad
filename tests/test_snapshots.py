"""Snapshots of the shipped training run: the seed network's shapes, one per chosen moment, the last one equal to
the shipped weights, and a clear error for snapshots of another run."""
import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from mnist_cnn.checkpoint import WEIGHTS, load_model, metadata_path
from mnist_cnn.model import Net
from mnist_cnn.snapshots import SNAPSHOTS, STEPS, StaleSnapshotsError, keeps_epoch, load_loss_curve, load_snapshots


@pytest.fixture(scope="module")
def snapshots():
    return load_snapshots()


def test_one_snapshot_per_chosen_moment_in_training_order(snapshots):
    epochs = json.loads(metadata_path(WEIGHTS).read_text())["epochs"]
    kept = [e for e in range(1, epochs + 1) if keeps_epoch(e, epochs)]
    assert len(snapshots) == len(STEPS) + len(kept)
    assert [s.step for s in snapshots if not s.label.startswith("epoch")] == list(STEPS)
    assert [s.label for s in snapshots if s.label.startswith("epoch")] == [f"epoch {e}" for e in kept]
    assert [s.step for s in snapshots] == sorted(s.step for s in snapshots)
    assert snapshots[-1].epoch == epochs and snapshots[0].label == "random start"
    assert snapshots[0].test_accuracy < 0.3 < snapshots[2].test_accuracy < snapshots[-1].test_accuracy


def test_snapshots_hold_the_seed_network_in_fp16():
    shapes = {k: v.shape for k, v in Net().state_dict().items()}
    tensors = load_file(str(SNAPSHOTS))
    assert all(v.dtype == torch.float16 for v in tensors.values())
    assert {k.split(".", 1)[1] for k in tensors} == set(shapes)
    assert all(v.shape == shapes[k.split(".", 1)[1]] for k, v in tensors.items())
    assert SNAPSHOTS.stat().st_size + SNAPSHOTS.with_suffix(".json").stat().st_size <= 12_000_000


def test_last_snapshot_is_the_shipped_weights(snapshots):
    shipped = load_model().state_dict()
    last = snapshots[-1].model
    assert not last.training
    for k, v in last.state_dict().items():
        assert v.dtype == torch.float32
        assert torch.equal(v, shipped[k].half().float())
    assert json.loads(metadata_path(WEIGHTS).read_text())["test_accuracy"] == snapshots[-1].test_accuracy


def test_loss_curve_falls():
    curve = load_loss_curve()
    steps = [s for s, _ in curve]
    assert steps == list(range(steps[0], steps[-1] + 1, steps[1] - steps[0]))
    assert curve[-1][1] < 0.5 * curve[0][1]


def test_snapshots_of_other_weights_are_refused(tmp_path):
    weights, path = tmp_path / "w.safetensors", tmp_path / "snapshots.safetensors"
    shutil.copy(WEIGHTS, weights)
    shutil.copy(SNAPSHOTS, path)
    shutil.copy(SNAPSHOTS.with_suffix(".json"), path.with_suffix(".json"))
    assert len(load_loss_curve(path, weights)) > 0
    weights.write_bytes(weights.read_bytes() + b"\0")  # other weights: these snapshots did not lead to them
    with pytest.raises(StaleSnapshotsError, match="another training run"):
        load_snapshots(path, weights)
    path.with_suffix(".json").unlink()
    with pytest.raises(StaleSnapshotsError, match="no training snapshots"):
        load_loss_curve(path, weights)
