import base64
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import gradio as gr
import pytest
from gradio.i18n import I18nData
from PIL import Image

import app
from mnist_cnn import text
from mnist_cnn.data import load_mnist
from mnist_cnn.strokes import draw_strokes
from mnist_cnn.widgets import data_url

REPO = Path(__file__).resolve().parent.parent


def drawing(strokes) -> str:
    """The strokes as the pad sends them: a 280×280 PNG data URL, black ink on white."""
    return data_url(draw_strokes(strokes))


def decode(url: str) -> Image.Image:
    assert url.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


@pytest.fixture(scope="module")
def demo(model):
    return app.build(model)


@pytest.mark.parametrize("digit", ["0", "1", "7"])
def test_show_reads_a_drawing_and_fills_every_panel(model, digit_strokes, digit):
    out = app.show(model, drawing(digit_strokes[digit]))
    assert len(out) == len(app.OUTPUTS)
    confidences, pictures, status = out[0], out[1:-1], out[-1]
    assert sorted(confidences) == [str(d) for d in range(10)]
    assert max(confidences, key=confidences.get) == digit
    assert sum(confidences.values()) == pytest.approx(1, abs=1e-5)
    for url in pictures:
        img = decode(url)
        assert img.width > 28 and img.height > 28
    assert status == ""


def test_empty_drawing_empties_every_output(model):
    assert app.show(model, "") == [None] * (len(app.OUTPUTS) - 1) + [""]
    assert app.show(model, None) == [None] * (len(app.OUTPUTS) - 1) + [""]


def test_blank_drawing_gives_no_answer_and_says_so(model):
    out = app.show(model, data_url(Image.new("L", (280, 280), 255)))
    assert out[:-1] == [None] * (len(app.OUTPUTS) - 1)
    assert isinstance(out[-1], I18nData) and out[-1].key == "error.blank"


def test_unreadable_upload_raises_its_sentence(model, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"this is not a picture")
    with pytest.raises(gr.Error) as e:
        app.show_file(model, str(bad))
    assert "not an image" in e.value.message
    assert "Traceback" not in e.value.message


def test_show_file_empties_the_pad(model, tmp_path):
    images, labels = load_mnist("test")
    path = tmp_path / "digit.png"
    Image.fromarray(images[0].numpy()).save(path)
    out = app.show_file(model, str(path))
    assert out[0] == ""
    assert max(out[1], key=out[1].get) == str(int(labels[0]))


def test_predict_reads_test_digits(model, tmp_path):
    images, labels = load_mnist("test")
    for i in range(5):
        path = tmp_path / f"{i}.png"
        Image.fromarray(images[i].numpy()).save(path)
        confidences = app.predict(model, str(path))
        assert max(confidences, key=confidences.get) == str(int(labels[i]))


def test_predict_blank_raises_blank_error(model, tmp_path):
    path = tmp_path / "white.png"
    Image.new("RGB", (100, 100), "white").save(path)
    with pytest.raises(gr.Error, match="blank"):
        app.predict(model, str(path))


def test_clear_resets_pad_upload_and_outputs():
    assert app.clear() == ["", None] + [None] * (len(app.OUTPUTS) - 1) + [""]


def test_examples_are_one_mnist_test_digit_per_class_and_read_as_such(model, tmp_path):
    paths = app.example_files(tmp_path)
    assert len(paths) == 10
    for digit, path in enumerate(paths):
        img = Image.open(path)
        assert img.size == (28, 28)
        confidences = app.predict(model, path)
        assert max(confidences, key=confidences.get) == str(digit)


def test_every_text_key_of_the_page_exists_in_both_languages(demo):
    config = json.dumps(demo.get_config_file(), default=str).replace('\\"', '"')
    keys = set(re.findall(r'"translation_metadata", "key": "([^"]+)"', config))
    assert {"app.title", "draw.label", "clear", "act-conv1.text"} <= keys
    assert keys <= set(text.EN) and keys <= set(text.ES)


def test_page_has_every_output_in_data_flow_order(demo):
    ids = [b.elem_id for b in demo.blocks.values() if b.elem_id in app.OUTPUTS + ("draw", "clear")]
    assert ids[ids.index("prediction"):ids.index("prediction") + 1] == ["prediction"]
    panel_ids = [i for i in ids if i in app.PANELS]
    assert panel_ids == list(app.PANELS)
    assert ids.index("draw") < ids.index("prediction")


def test_predict_endpoint_is_named_and_documented(demo):
    api = demo.get_api_info()["named_endpoints"]
    assert "/predict" in api
    assert len(api["/predict"]["parameters"]) == 1
    assert not any("show" in name for name in api)  # the page's own events stay private


def test_bad_weights_exit_with_one_sentence(tmp_path):
    run = subprocess.run([sys.executable, "app.py", "--weights", str(tmp_path / "none.safetensors")],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "missing" in run.stderr
    assert "Traceback" not in run.stderr
