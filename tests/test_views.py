"""What the page shows, keyed by element id (web/views.py): the model line, the shift curve's frame."""
import torch

from mnist_cnn.experiments import shift_curve
from mnist_cnn.model import Net
from web.views import describe, shift_frame


def test_the_model_line_names_the_network_and_its_accuracy():
    assert "cnn.pt" in describe("cnn.pt", 0.987, "en") and "98.7%" in describe("cnn.pt", 0.987, "en")
    assert "98,7\u00a0%" in describe("cnn.pt", 0.987, "es") and "1000" in describe("cnn.pt", 0.987, "es")
    assert "1,000" in describe(None, 0.998) and describe(None, 0.998, "es") != describe(None, 0.998, "en")


def test_the_shift_frame_names_its_directions_in_the_page_s_language():
    torch.manual_seed(0)
    curve = shift_curve(Net().eval(), torch.zeros(1, 1, 28, 28), 3)
    frame = shift_frame(curve, "es")
    assert len(frame) == 34 and set(frame["direction"]) == {"izquierda–derecha", "arriba–abajo"}
