"""Training: a few steps lower the loss, the batches are normalised like every other input, and the CLI writes
weights that load.
"""
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mnist_cnn.checkpoint import load_model, sha256
from mnist_cnn.data import load_mnist, normalise
from mnist_cnn.model import Net
from mnist_cnn.snapshots import load_snapshots, snapshots_path
from mnist_cnn.strokes import load_samples
from mnist_cnn.train import UNIPEN, batches, drawn_samples, train_step, writer_copies
from mnist_cnn.train import main as train_main

REPO = Path(__file__).resolve().parent.parent


def test_train_steps_lower_the_loss():
    images, labels = load_mnist("test")
    x, y = normalise(images[:64]), labels[:64]
    torch.manual_seed(0)
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    with torch.no_grad():
        before = F.nll_loss(model.eval()(x), y).item()
    losses = [train_step(model, opt, x, y) for _ in range(8)]
    with torch.no_grad():
        after = F.nll_loss(model.eval()(x), y).item()
    assert abs(losses[0] - before) < 1e-5  # train_step reports the loss before its step
    assert all(b < a for a, b in zip(losses, losses[1:]))
    assert after < 0.5 * before


def test_batches_are_shuffled_and_normalised():
    images, labels = load_mnist("test")
    images, labels = images[:100], labels[:100]
    g = torch.Generator().manual_seed(0)
    got = list(batches(images, labels, 32, g, augmented=False))
    assert [len(y) for _, y in got] == [32, 32, 32, 4]
    x = torch.cat([b for b, _ in got])
    y = torch.cat([b for _, b in got])
    order = torch.randperm(100, generator=torch.Generator().manual_seed(0))
    assert not torch.equal(order, torch.arange(100))
    assert torch.equal(y, labels[order])
    assert torch.allclose(x, normalise(images[order]), atol=1e-6)  # one normalisation for training and reading

    g = torch.Generator().manual_seed(0)
    xa, ya = next(batches(images, labels, 32, g, augmented=True))
    assert xa.shape == (32, 1, 28, 28) and torch.equal(ya, y[:32])
    assert not torch.allclose(xa, x[:32])
    assert xa.min() >= normalise(torch.zeros(1, 1, dtype=torch.uint8)).item() - 1e-6


def write_idx(path: Path, a: np.ndarray) -> None:
    path.write_bytes(bytes([0, 0, 8, a.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in a.shape)
                     + a.astype(np.uint8).tobytes())


@pytest.fixture
def small_mnist(tmp_path) -> Path:
    """A folder of IDX files: 512 training and 256 test digits (from the shipped test split)."""
    images, labels = load_mnist("test")
    for prefix, sl in (("train", slice(0, 512)), ("t10k", slice(512, 768))):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", images[sl].numpy())
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", labels[sl].numpy())
    return tmp_path


def test_cli_trains_and_writes_loadable_weights(small_mnist, tmp_path, cli):
    out = tmp_path / "w" / "net.safetensors"
    said = cli(train_main, "--data-dir", str(small_mnist), "--epochs", "1", "--batch-size", "64",
                   "--threads", "1", "--limit", "200", "--unipen-copies", "1", "--out", str(out))
    assert "421,642 parameters" in said and "test accuracy" in said
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["sha256"] == sha256(out)
    assert meta["epochs"] == 1 and len(meta["accuracy_per_epoch"]) == 1
    assert np.array(meta["confusion"]).sum() == 256 and len(meta["per_class_accuracy"]) == 10
    assert 0.2 < meta["test_accuracy"] <= 1  # 200 MNIST and 200 pen-drawn digits, one epoch: above chance (0.1)
    digits = meta["training_digits"]
    assert digits["mnist"] == 200 and digits["pen_drawn"] == 200 and digits["styled"] > 0
    assert meta["config"]["batch_size"] == 64 and meta["torch_version"] == torch.__version__
    assert not load_model(out).training
    snaps = load_snapshots(snapshots_path(out), out)  # raises unless they belong to these weights
    assert [s.label for s in snaps] == ["random start", "epoch 1"] and snaps[-1].epoch == 1


def test_cli_trains_with_sgd_and_each_writer_drawn_alike(small_mnist, tmp_path, cli):
    out = tmp_path / "w" / "net.safetensors"
    cli(train_main, "--data-dir", str(small_mnist), "--epochs", "1", "--batch-size", "64", "--limit", "200",
        "--optimizer", "sgd", "--lr", "0.05", "--writer-drawings", "60", "--max-copies", "3", "--out", str(out))
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["config"]["optimizer"] == "sgd" and 0.2 < meta["test_accuracy"] <= 1
    first = load_samples(UNIPEN)[:200]
    assert meta["training_digits"]["pen_drawn"] == sum(writer_copies(first, 60, 3)) > 200


def test_writer_copies_draw_each_writer_about_as_often_within_bounds():
    samples = [{"writer": "many"}] * 100 + [{"writer": "few"}] * 5 + [{"writer": "some"}] * 40
    copies = writer_copies(samples, per_writer=200, most=12)
    assert copies == [2] * 100 + [12] * 5 + [5] * 40  # 200 drawings, 60 (at most 12 each), 200
    assert writer_copies(samples, per_writer=10, most=12) == [1] * 100 + [2] * 5 + [1] * 40  # each at least once


def test_drawn_samples_draw_every_sample_before_drawing_any_again(digit_strokes):
    samples = [{"strokes": digit_strokes["1"], "label": 1}, {"strokes": digit_strokes["7"], "label": 7}]
    images, labels = drawn_samples(samples, [3, 1], random.Random(0))
    assert labels.tolist() == [1, 7, 1, 1] and images.shape == (4, 28, 28) and images.dtype == torch.uint8
    again, _ = drawn_samples(samples, [3, 1], random.Random(0))
    assert torch.equal(images, again) and not torch.equal(images[0], images[2])  # seeded, each drawing its own


def options_help(text: str) -> dict[str, str]:
    """Each --option of an argparse help text with its description."""
    blocks = re.split(r"\n  (?=-)", text.split("options:", 1)[1])
    return {b.split()[0].rstrip(","): " ".join(b.split()) for b in blocks if b.strip().startswith("--")}


def test_cli_help_shows_every_default(cli):
    options = options_help(cli(train_main, "--help"))
    assert {"--data-dir", "--epochs", "--batch-size", "--lr", "--seed", "--out"} <= set(options)
    for name, text in options.items():
        if name != "--help":
            assert text.count("(default:") == 1, text
