import base64
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from gradio.events import SelectData
from gradio.i18n import I18nData
from PIL import Image

import app
from mnist_cnn import text
from mnist_cnn.data import load_mnist, normalise
from mnist_cnn.mistakes import load_mistakes
from mnist_cnn.pipeline import read_digit
from mnist_cnn.render import GRIDS, MARK
from mnist_cnn.strokes import draw_strokes
from mnist_cnn.widgets import data_url

REPO = Path(__file__).resolve().parent.parent


def drawing(strokes) -> str:
    """The strokes as the pad sends them: a 280×280 PNG data URL, black ink on white."""
    return data_url(draw_strokes(strokes))


def decode(url: str) -> Image.Image:
    assert url.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def english(html: str) -> str:
    """The English half of a close-up's bilingual HTML."""
    return re.search(r'<div class="l-en" lang="en">(.*?)</div><div class="l-es"', html, re.S).group(1)


def number(s: str) -> float:
    """A number as the tables print it (true minus sign)."""
    return float(s.replace("−", "-"))


def selected(index) -> SelectData:
    """The event data of a click: a map's pixel [x, y] or a gallery's picture number."""
    return SelectData(None, {"index": index, "value": None})


def outputs(out: list) -> dict:
    """show()'s list by output id, and the input kept for clicks under "input"."""
    assert len(out) == len(app.OUTPUTS) + 1
    return dict(zip(app.OUTPUTS + ("input",), out))


@pytest.fixture(scope="module")
def demo(model):
    return app.build(model)


@pytest.mark.parametrize("digit", ["0", "1", "7"])
def test_show_reads_a_drawing_and_fills_every_panel(model, digit_strokes, digit):
    out = outputs(app.show(model, drawing(digit_strokes[digit])))
    confidences = out["prediction"]
    assert sorted(confidences) == [str(d) for d in range(10)]
    assert max(confidences, key=confidences.get) == digit
    assert sum(confidences.values()) == pytest.approx(1, abs=1e-5)
    for key in app.PANELS:
        img = decode(out[key])
        assert img.width > 28 and img.height > 28
    for key, size in (("kernel-detail", 28 * 6), ("saliency", 28)):  # a picture, then the text in both languages
        img = decode(re.match(r'<img src="([^"]+)"', out[key]).group(1))
        assert img.height >= size
        assert 'class="l-en"' in out[key] and 'class="l-es"' in out[key]
    assert "<table" in out["softmax-steps"]
    assert out["status"] == ""
    assert out["input"].shape == (1, 1, 28, 28)


def test_empty_drawing_empties_every_output(model):
    assert app.show(model, "") == [None] * (len(app.OUTPUTS) - 1) + ["", None]
    assert app.show(model, None) == [None] * (len(app.OUTPUTS) - 1) + ["", None]


def test_blank_drawing_gives_no_answer_and_says_so(model):
    out = outputs(app.show(model, data_url(Image.new("L", (280, 280), 255))))
    assert all(out[key] is None for key in app.OUTPUTS + ("input",) if key != "status")
    assert isinstance(out["status"], I18nData) and out["status"].key == "error.blank"


def test_unreadable_upload_raises_its_sentence_in_both_languages_for_the_page_to_pick(model, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"this is not a picture")
    with pytest.raises(gr.Error) as e:
        app.show_file(model, str(bad))
    assert '<div class="l-en" lang="en">The file is not an image' in e.value.message
    assert '<div class="l-es" lang="es">El archivo no es una imagen' in e.value.message
    assert "Traceback" not in e.value.message


def test_a_file_name_in_an_error_is_shown_as_text_not_markup(model):
    with pytest.raises(gr.Error) as e:
        app.show(model, "/nowhere/<img src=x onerror=alert(1)>.png")
    assert "<img" not in e.value.message
    assert "&lt;img src=x onerror=alert(1)&gt;.png" in e.value.message


def test_show_file_empties_the_pad(model, tmp_path):
    images, labels = load_mnist("test")
    path = tmp_path / "digit.png"
    Image.fromarray(images[0].numpy()).save(path)
    out = app.show_file(model, str(path))
    assert out[0] == ""
    assert max(out[1], key=out[1].get) == str(int(labels[0]))
    assert len(out) == len(app.OUTPUTS) + 2


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
    assert app.clear() == ["", None] + [None] * (len(app.OUTPUTS) - 1) + ["", None]


def test_clicking_a_conv2_map_works_out_its_filter_at_the_activation_shown(model, digit_strokes):
    source = drawing(digit_strokes["7"])
    x = outputs(app.show(model, source))["input"]
    acts = read_digit(model, source).activations
    grid = GRIDS["act-conv2"]
    for channel in (0, 13, 63):
        left, top = grid.origin(channel)
        html, chosen, *_ = app.pick_map(model, "act-conv2", x, selected([left + 5, top + 30]))
        assert chosen == ("conv2", channel)
        title = re.search(r"conv2, filter (\d+): .*? row (\d+), column (\d+)", english(html))
        c, r, k = map(int, title.groups())
        worked = number(re.search(r"ReLU → <b>([^<]+)</b>", english(html)).group(1))
        assert c == channel
        assert worked == pytest.approx(float(acts["conv2_relu"][c, r, k]), abs=6e-4)  # printed to 3 decimals
        assert r * 14 + k == int(acts["conv2"][c].argmax())  # the map's most active pixel
        assert "sum over the 32 channels" in english(html)


def test_a_click_frames_the_clicked_map_and_unframes_the_other_layer(model, digit_strokes):
    x = outputs(app.show(model, drawing(digit_strokes["7"])))["input"]  # conv1's strongest map framed at first
    left, top = GRIDS["act-conv2"].origin(13)
    *_, conv1, conv2 = app.pick_map(model, "act-conv2", x, selected([left + 5, top + 30]))
    assert (np.asarray(decode(conv2))[top - 2, left - 2:left + 10] == MARK).all()  # the frame's top, over map 13
    assert not (np.asarray(decode(conv1)) == MARK).any()


def test_the_chosen_filter_follows_the_next_drawing(model, digit_strokes):
    out = outputs(app.show(model, drawing(digit_strokes["0"]), ("conv2", 21)))
    assert "conv2, filter 21:" in english(out["kernel-detail"])
    out = outputs(app.show(model, drawing(digit_strokes["1"])))  # no choice yet: the strongest map of conv1
    strongest = int(read_digit(model, drawing(digit_strokes["1"])).activations["conv1_relu"].amax((1, 2)).argmax())
    assert f"conv1, filter {strongest}:" in english(out["kernel-detail"])


def test_clicks_off_the_maps_change_nothing(model, digit_strokes):
    x = outputs(app.show(model, drawing(digit_strokes["7"])))["input"]
    skip = [gr.skip()] * 4  # the close-up, the choice, and the conv1 and conv2 panels
    assert app.pick_map(model, "act-conv2", x, selected([2, 2])) == skip  # the margin
    assert app.pick_map(model, "act-conv1", x, selected([10_000, 5])) == skip
    assert app.pick_map(model, "act-conv1", x, selected("not a pixel")) == skip
    assert app.pick_map(model, "act-conv1", None, selected([40, 40])) == skip  # nothing drawn yet


def test_softmax_table_is_the_models_and_sums_to_1(model, digit_strokes):
    out = outputs(app.show(model, drawing(digit_strokes["7"])))
    rows = re.findall(r"<tr[^>]*><td>(\d)</td>((?:<td>[^<]*</td>){5})</tr>", english(out["softmax-steps"]))
    assert [d for d, _ in rows] == [str(d) for d in range(10)]
    probs = [number(re.findall(r"<td>([^<]*)</td>", cells)[3]) for _, cells in rows]
    assert sum(probs) == pytest.approx(1, abs=10 * 5e-4)  # each printed to 3 decimals
    assert probs == pytest.approx([out["prediction"][str(d)] for d in range(10)], abs=5e-4)
    assert "dim=1" in english(out["softmax-steps"])


def test_saliency_is_for_the_predicted_class(model, digit_strokes):
    for digit in ("0", "7"):
        out = outputs(app.show(model, drawing(digit_strokes[digit])))
        guess = max(out["prediction"], key=out["prediction"].get)
        assert f"pushed “{guess}” up" in english(out["saliency"])


def test_a_misread_test_digit_is_shown_with_the_models_wrong_guess(model):
    images, labels = load_mnist("test")
    mistakes = load_mistakes()
    for i, m in enumerate(mistakes):
        out = app.show_mistake(model, images, mistakes, None, selected(i))
        assert out[:2] == ["", None]  # no drawing, no upload: the page shows one input
        shown = outputs(out[2:])
        guess = max(shown["prediction"], key=shown["prediction"].get)
        assert guess == str(m["guess"]) != str(m["label"])
        assert torch.equal(shown["input"], normalise(images[m["index"]][None]))  # as the evaluation feeds it
    nothing = [gr.skip()] * (len(app.OUTPUTS) + 3)
    assert app.show_mistake(model, images, mistakes, None, selected(len(mistakes))) == nothing


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
    assert ids[-len(app.CLOSE_UP):] == list(app.CLOSE_UP)  # "Look closer" comes after the panels
    assert any(b.elem_id == "mistakes" for b in demo.blocks.values())


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
