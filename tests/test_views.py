"""What the page shows, keyed by element id (web/views.py): the model line, the shift and loss charts, an erased
drawing, the training moments and the top patches of a filter that fires on empty paper."""
import re

import pytest
import torch

from mnist_cnn.data import load_mnist
from mnist_cnn.experiments import moved, shift_curve
from mnist_cnn.model import Net
from mnist_cnn.pipeline import read_digit, read_prepared
from mnist_cnn.strokes import draw_strokes
from web import text, views
from web.handlers import moved_prepared


SEVEN = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]


@pytest.fixture(scope="module")
def reading(model):
    images, _ = load_mnist("test")
    return read_digit(model, images[0].numpy())  # a 7


def test_the_model_line_names_the_network_and_its_accuracy():
    assert "cnn.pt" in describe_en() and "98.7%" in describe_en()
    es = views.describe("cnn.pt", 0.987, "es")
    assert "98,7\u00a0%" in es and "1000" in es and "10\u00a0000" in es  # and why it is not the 10 000 figure
    assert "1,000" in views.describe(None, 0.998) and "10,000" in views.describe(None, 0.998)
    assert views.describe(None, 0.998, "es") != views.describe(None, 0.998, "en")


def describe_en() -> str:
    return views.describe("cnn.pt", 0.987, "en")


def test_the_shift_chart_names_its_directions_and_writes_percentages_in_the_page_s_language():
    torch.manual_seed(0)
    curve = shift_curve(Net().eval(), torch.zeros(1, 1, 28, 28), 3)
    es, en = views.shift_frame(curve, "es"), views.shift_frame(curve, "en")
    assert es.startswith("<svg") and "izquierda–derecha" in es and "arriba–abajo" in es and "left–right" not in es
    assert "50\u00a0%" in es and "50%" in en and "−8" in es
    assert len(re.findall(r"<polyline", es)) == 2 and 'stroke="none"' not in es


def test_the_loss_chart_marks_the_moment_in_the_page_s_language(page):
    last = len(page.snapshots) - 1
    es = views.learning_view(page.snapshots, last, None, page.loss_curve, "es")
    chart = es["loss-curve"]
    assert chart.startswith("<svg") and "este momento" in chart and "pérdida" in chart and "this moment" not in chart
    assert "10\u00a0000" in chart and "10,000" not in chart and "0,5" in chart
    assert f"Instantánea {last} de {last}" in es["learning"] and "15 épocas" in es["learning"]


def test_an_erased_drawing_is_said_so_and_not_read(model, reading):
    x = moved(reading.prepared.tensor, thickness=-2)  # 2 px thinner: an MNIST-wide stroke is gone
    prepared = moved_prepared(reading.prepared, x)
    out = views.reading_view(model, read_prepared(model, prepared), None, "es")
    assert out["prediction"] is None and out["status"] == text.ES["error.erased"]
    assert "casi negra" in out["input28"] and "escalado" not in out["input28"]  # no scale claimed
    after = views.experiments_view(model, prepared, "en")
    assert after == {"shift-curve": "", "shift-text": "", "occlusion": ""}  # said once, in the status line


def test_a_faint_drawing_is_read_and_moved_like_any_other(model):
    faint = read_digit(model, draw_strokes(SEVEN, width=1, canvas=560))  # a 1 px pen: prepared at 0.4 of full ink
    assert views.reading_view(model, faint, None, "en")["prediction"] is not None
    prepared = moved_prepared(faint.prepared, moved(faint.prepared.tensor, 1, 0))
    assert views.reading_view(model, read_prepared(model, prepared), None, "en")["prediction"] is not None
    assert views.experiments_view(model, prepared, "en")["shift-curve"].startswith("<svg")


def test_a_moved_drawing_claims_no_scale_and_an_unmoved_one_does(model, reading):
    prepared = moved_prepared(reading.prepared, moved(reading.prepared.tensor, angle=20))
    turned = views.reading_view(model, read_prepared(model, prepared), None, "en")["input28"]
    assert "as the what-if sliders changed it" in turned and "scaled to" not in turned
    assert "scaled to" in views.reading_view(model, reading, None, "en")["input28"]


def test_the_top_patches_of_a_filter_that_fires_on_empty_paper_say_why_they_are_black(page):
    blank = views.filter_top_view(page.filter_top, page.images, "conv1", 5, "en")  # fires most on paper
    inked = views.filter_top_view(page.filter_top, page.images, "conv1", 0, "en")
    assert "blank paper" in blank and "blank paper" not in inked
