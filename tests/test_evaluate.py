"""Evaluation: scoring with blank readings, the report, the drawn strokes, and the whole path on real pen-drawn
digits (the dev set in ../shared/data, beside the repo).
"""
import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_cnn.data import load_mnist
from mnist_cnn.evaluate import evaluate, evaluate_strokes, evaluate_styles, evaluate_writers, format_report, score
from mnist_cnn.evaluate import main as evaluate_main
from mnist_cnn.strokes import CANVAS, random_drawing

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def one_thread():
    """One torch thread, as the evaluation CLI uses: one drawing at a time gains nothing from more."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_dev_set_accuracy(dev_samples, model, one_thread):
    result = evaluate_strokes(model, dev_samples)
    assert len(dev_samples) == 500
    print(format_report(result, "dev set"))  # shown by pytest when the assertion fails
    # The aim is 98.8% as the mean over drawing seeds 0-2; this guards seed 0 at 98.5%
    assert result["accuracy"] >= 0.985


def test_writing_style_probes(model, one_thread):
    images, labels = load_mnist("test")
    accuracy = evaluate_styles(model, images, labels)
    assert set(accuracy) == {"flag", "crossbar", "slash"}
    assert min(accuracy.values()) >= 0.95, accuracy


def test_writers_scored_over_seeds_and_capped_per_writer(one_thread):
    class Ones(torch.nn.Module):  # reads every drawing as 1
        def forward(self, x):
            return torch.log_softmax(torch.eye(10)[[1] * len(x)] * 10, 1)

    line = [[(0.5, 0.05), (0.5, 0.95)]]
    samples = [{"writer": "a", "label": 1, "strokes": line}] * 100 + [{"writer": "b", "label": 2, "strokes": line}] * 10
    result = evaluate_writers(Ones(), samples, seeds=(0, 1), cap=50)
    assert result["per_seed"] == pytest.approx([100 / 110] * 2)
    assert result["accuracy"] == pytest.approx(100 / 110)
    assert result["capped"] == pytest.approx(50 / 60)  # writer a weighs 50 samples, not 100


def test_score_counts_blank_readings_as_wrong():
    labels = torch.tensor([0, 1, 2, 3, 3, 9])
    preds = torch.tensor([0, -1, 2, 5, 3, -1])
    r = score(labels, preds)
    assert r["accuracy"] == pytest.approx(3 / 6)
    assert r["blank"] == 2
    confusion = np.array(r["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == 4  # blanks have no column
    assert confusion[3, 5] == 1 and confusion[3, 3] == 1 and confusion[1].sum() == 0
    assert r["per_class_accuracy"][:4] == [1.0, 0.0, 1.0, 0.5] and r["per_class_accuracy"][9] == 0.0
    assert r["per_class_accuracy"][4] == 0.0  # no digit of that class: 0, not a division by zero


def test_format_report():
    r = score(torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 7, -1]))
    report = format_report(r, "tiny")
    assert report.startswith("tiny: accuracy 50.00%")
    assert "1 read as blank" in report
    assert len(report.splitlines()) == 3 + 1 + 10  # title, per class, header lines, then one row per digit


def test_evaluate_on_mnist_images(model):
    images, labels = load_mnist("test")
    r = evaluate(model, images[:300], labels[:300])
    assert sum(map(sum, r["confusion"])) == 300 and r["blank"] == 0
    assert r["accuracy"] > 0.97 and len(r["predictions"]) == 300


def test_random_drawing_is_seeded_and_stays_on_the_canvas():
    samples = [{"label": 1, "strokes": [[[0.5, 0.0], [0.5, 1.0]]]},
               {"label": 7, "strokes": [[[0.0, 0.0], [1.0, 0.0], [0.3, 1.0]]]}]
    a = [np.asarray(random_drawing(s["strokes"], random.Random(5))) for s in samples]
    b = [np.asarray(random_drawing(s["strokes"], random.Random(5))) for s in samples]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    rng = random.Random(0)
    sizes, centres = [], []
    for _ in range(40):
        img = np.asarray(random_drawing(samples[1]["strokes"], rng))
        assert img.shape == (CANVAS, CANVAS)
        ys, xs = np.nonzero(img < 128)
        sizes.append(max(xs.max() - xs.min(), ys.max() - ys.min()))
        centres.append(((xs.max() + xs.min()) / 2, (ys.max() + ys.min()) / 2))
    assert min(sizes) < 0.55 * CANVAS and max(sizes) > 0.8 * CANVAS  # small and large drawings
    assert np.ptp(np.array(centres), 0).min() > 0.25 * CANVAS  # drawn all over the canvas, not only in its middle


def test_cli_help_shows_defaults(cli):
    said = cli(evaluate_main, "--help")
    assert "--strokes" in said and "--weights" in said
    assert said.count("(default:") >= 4


def test_cli_on_strokes(tmp_path, cli):
    strokes = tmp_path / "few.json"
    strokes.write_text(json.dumps({"samples": [
        {"label": 1, "strokes": [[[0.4, 0.1], [0.5, 0.0], [0.5, 1.0]]]},
        {"label": 7, "strokes": [[[0.1, 0.0], [0.9, 0.0], [0.4, 1.0]]]},
        {"label": 0, "strokes": [[[0.5, 0.0], [0.1, 0.5], [0.5, 1.0], [0.9, 0.5], [0.5, 0.0]]]},
    ]}))
    said = cli(evaluate_main, "--strokes", str(strokes))
    assert said.startswith("few.json (3 drawings): accuracy ")
    assert "confusion" in said
    assert "flag (1s): " in said and "crossbar (7s): " in said and "slash (0s): " in said
