"""The app's handlers, called as Gradio calls them: each returns the outputs it changes, by element id."""
import base64
import io
import json
import re
import sys
import uuid
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from gradio.utils import get_upload_folder
from PIL import Image

import app
from mnist_cnn.data import load_mnist, normalise
from mnist_cnn.images import FORMAT_LIST
from mnist_cnn.pipeline import read_digit, read_mnist
from mnist_cnn.strokes import draw_strokes
from web import render, text, views
from web.handlers import NEUTRAL, read_as_drawn
from web.i18n import t
from web.render import GRIDS, MARK
from web.widgets import READ, data_url


def drawing(strokes) -> str:
    """The strokes as the pad sends them: a 280×280 PNG data URL, black ink on white."""
    return data_url(draw_strokes(strokes))


def picture(html: str) -> Image.Image:
    """The first picture in a piece of the page's HTML."""
    url = re.search(r'<img src="data:image/png;base64,([^"]+)"', html).group(1)
    return Image.open(io.BytesIO(base64.b64decode(url)))


def alt(html: str) -> str:
    return re.search(r'alt="([^"]*)"', html).group(1)


def english(html: str) -> str:
    """The English half of a close-up's bilingual HTML."""
    return re.search(r'<div class="l-en" lang="en">(.*?)</div><div class="l-es"', html, re.S).group(1)


def as_float(s: str) -> float:
    """A number as the tables print it (true minus sign, decimal comma in Spanish)."""
    return float(s.replace("−", "-").replace(",", "."))


def in_upload_folder(image: Image.Image, name: str = "digit.png") -> str:
    """Save an image where Gradio puts uploads, as the page's upload would."""
    folder = Path(get_upload_folder()) / uuid.uuid4().hex
    folder.mkdir(parents=True)
    image.save(folder / name)
    return str(folder / name)


@pytest.fixture(scope="module")
def demo(model):
    return app.build(model)


@pytest.mark.parametrize("digit", ["0", "1", "7"])
def test_a_drawing_fills_every_output_and_the_pad_gets_a_token_back(page, digit_strokes, digit):
    out = page.drawn(drawing(digit_strokes[digit]), None, None, "en")
    assert set(out) == set(views.READING) | set(NEUTRAL) | {"current", "original", "pad", "filter-top", "compare"}
    assert all(out[k] == v for k, v in NEUTRAL.items())  # a new drawing puts the what-if sliders back
    assert max(out["prediction"], key=out["prediction"].get) == digit
    assert sum(out["prediction"].values()) == pytest.approx(1, abs=1e-5)
    for key in render.PANELS:
        assert picture(out[key]).width > 28 and alt(out[key])
    assert picture(out["kernel-detail"]).height >= 28 * 6 and 'class="l-es"' in out["kernel-detail"]
    assert picture(out["saliency"]).size == (28, 28)  # the page's CSS scales it up
    assert "<table" in out["softmax-steps"] and out["status"] == ""
    assert out["current"].tensor.shape == (1, 1, 28, 28)
    assert out["pad"] == READ  # the session does not keep the drawing


def test_alt_texts_carry_the_result_in_the_pages_language(page, digit_strokes):
    en = page.drawn(drawing(digit_strokes["7"]), None, None, "en")
    es = page.drawn(drawing(digit_strokes["7"]), None, None, "es")
    strongest = views.strongest(read_digit(page.model, drawing(digit_strokes["7"])).activations, "conv1_relu")
    assert alt(en["act-conv1"]) == f"conv1: 32 maps of 28×28; the strongest is map {strongest}"
    assert alt(es["act-conv1"]) == f"conv1: 32 mapas de 28×28; el más fuerte es el mapa {strongest}"
    assert alt(en["act-output"]).startswith("Output: 7 with probability")
    assert alt(es["act-output"]).startswith("Salida: 7 con probabilidad") and "\u00a0%" in alt(es["act-output"])


def test_an_emptied_pad_empties_every_output(page):
    for empty in ("", None):
        out = page.drawn(empty, None, None, "en")
        assert all(out[k] in (None, "") for k in views.READING) and out["current"] is None


def test_a_blank_drawing_gives_no_answer_and_says_so_in_the_pages_language(page):
    out = page.drawn(data_url(Image.new("L", (280, 280), 255)), None, None, "es")
    assert out["prediction"] is None and out["current"] is None  # never a confident answer to a blank page
    assert out["status"] == text.ES["error.blank_image"]


def test_a_dot_is_not_a_digit(page):
    dot = Image.new("L", (280, 280), 255)
    dot.paste(0, (130, 130, 142, 142))
    out = page.drawn(data_url(dot), None, None, "en")
    assert out["prediction"] is None and out["status"] == text.EN["error.dot"]


def test_an_upload_is_read_and_empties_the_pad(page):
    images, labels = load_mnist("test")
    out = page.uploaded(in_upload_folder(Image.fromarray(images[0].numpy())), None, None, "en")
    assert max(out["prediction"], key=out["prediction"].get) == str(int(labels[0]))
    assert out["pad"] == ""  # the page shows one input


def test_an_unreadable_upload_says_so_and_keeps_the_page(page):
    path = Path(in_upload_folder(Image.new("L", (2, 2)))).with_name("notes.png")
    path.write_bytes(b"this is not a picture")
    assert page.uploaded(str(path), None, None, "es") == {"status": t("error.not_image", "es", formats=FORMAT_LIST)}


def test_an_upload_outside_gradios_folder_is_not_read(page, tmp_path):
    seven = tmp_path / "seven.png"
    draw_strokes([[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]).save(seven)
    for path in (str(seven), str(tmp_path / "absent.png"), f"{get_upload_folder()}/../{seven}", 7, None):
        assert page.uploaded(path, None, None, "en") == {"status": text.EN["error.not_uploaded"]}


def test_a_status_sentence_is_text_not_markup():
    from mnist_cnn.errors import InputError
    assert views.status(InputError("error.no_file", name="<img src=x onerror=alert(1)>"), "en") == \
        "There is no image file at &lt;img src=x onerror=alert(1)&gt;."


def test_predict_reads_uploaded_test_digits_and_nothing_else(page, tmp_path):
    images, labels = load_mnist("test")
    for i in range(5):
        confidences = page.predict(in_upload_folder(Image.fromarray(images[i].numpy())))
        assert max(confidences, key=confidences.get) == str(int(labels[i]))
    with pytest.raises(gr.Error, match="blank"):
        page.predict(in_upload_folder(Image.new("RGB", (100, 100), "white")))
    with pytest.raises(gr.Error, match="not uploaded"):
        page.predict("/etc/passwd")


def test_clear_resets_the_pad_and_every_output(page):
    out = page.clear()
    assert out["pad"] == "" and out["current"] is None and out["prediction"] is None


def test_picking_a_conv2_map_works_out_its_filter_and_frames_it(page, digit_strokes):
    current = page.drawn(drawing(digit_strokes["7"]), None, None, "en")["current"]
    acts = read_digit(page.model, drawing(digit_strokes["7"])).activations
    for channel in (0, 13, 63):
        out = page.pick(channel, current, None, "en", panel="act-conv2")
        assert out["chosen"] == ("conv2", channel)
        title = re.search(r"conv2, filter (\d+): .*? row (\d+), column (\d+)", english(out["kernel-detail"]))
        c, r, k = map(int, title.groups())
        worked = as_float(re.search(r"ReLU → <b>([^<]+)</b>", english(out["kernel-detail"])).group(1))
        assert c == channel
        assert worked == pytest.approx(float(acts["conv2_relu"][c, r, k]), abs=6e-4)  # printed to 3 decimals
        assert r * 14 + k == int(acts["conv2"][c].argmax())  # the map's most active pixel
    left, top = GRIDS["act-conv2"].origin(63)
    assert (np.asarray(picture(out["act-conv2"]))[top - 2, left - 2:left + 10] == MARK).all()  # the frame's top
    assert not (np.asarray(picture(out["act-conv1"])) == MARK).any()  # and conv1 has none now
    assert out["act-conv2"].count("<button") == 64  # one button a map, the same as before


def test_a_bad_pick_changes_nothing(page, digit_strokes):
    current = page.drawn(drawing(digit_strokes["7"]), None, None, "en")["current"]
    for index in (64, -1, 1.5, float("inf"), float("nan"), True, "3", [1, 2], None):
        assert page.pick(index, current, None, "en", panel="act-conv2") == {}
    assert page.pick(3, None, None, "en", panel="act-conv1") == {}  # nothing read yet


def test_the_chosen_filter_follows_the_next_drawing(page, digit_strokes):
    out = page.drawn(drawing(digit_strokes["0"]), ("conv2", 21), None, "en")
    assert "conv2, filter 21:" in english(out["kernel-detail"])
    out = page.drawn(drawing(digit_strokes["1"]), None, None, "en")  # no choice yet: the strongest map of conv1
    strongest = views.strongest(read_digit(page.model, drawing(digit_strokes["1"])).activations, "conv1_relu")
    assert f"conv1, filter {strongest}:" in english(out["kernel-detail"])


def test_the_softmax_table_is_the_models_and_sums_to_1(page, digit_strokes):
    out = page.drawn(drawing(digit_strokes["7"]), None, None, "en")
    rows = re.findall(r"<tr[^>]*><td>(\d)</td>((?:<td>[^<]*</td>){5})</tr>", english(out["softmax-steps"]))
    assert [d for d, _ in rows] == [str(d) for d in range(10)]
    probs = [as_float(re.findall(r"<td>([^<]*)</td>", cells)[3]) for _, cells in rows]
    assert sum(probs) == pytest.approx(1, abs=10 * 5e-4)  # each printed to 3 decimals
    assert probs == pytest.approx([out["prediction"][str(d)] for d in range(10)], abs=5e-4)


def test_the_language_switch_writes_the_same_reading_with_spanish_numbers(page, digit_strokes):
    en = page.drawn(drawing(digit_strokes["7"]), None, None, "en")
    es = page.relabel(en["current"], None, None, None, "es")
    assert es["prediction"] == en["prediction"]
    assert "conv1, filtro" in es["kernel-detail"]
    spanish = re.search(r'<div class="l-es" lang="es">(.*?)</div>$', es["softmax-steps"], re.S).group(1)
    assert re.search(r"<td>−?\d+,\d{3}</td>", spanish) and not re.search(r"<td>−?\d+\.\d{3}</td>", spanish)
    assert page.relabel(None, None, None, None, "es") == {}


def test_saliency_is_for_the_predicted_class(page, digit_strokes):
    for digit in ("0", "7"):
        out = page.drawn(drawing(digit_strokes[digit]), None, None, "en")
        guess = max(out["prediction"], key=out["prediction"].get)
        assert f"pushed “{guess}” up" in english(out["saliency"])


def test_a_misread_test_digit_is_read_as_the_evaluation_reads_it(page):
    rows = [m["index"] for m in page.mistakes]
    for i, m in enumerate(page.mistakes):
        out = page.digit(i, None, None, "en", reader=read_mnist, images=rows)
        guess = max(out["prediction"], key=out["prediction"].get)
        assert guess == str(m["guess"]) != str(m["label"]) and out["pad"] == ""
        assert torch.equal(out["current"].tensor, normalise(page.images[m["index"]][None]))
    for bad in (len(rows), -1, "0", 0.5, float("inf"), None, [0]):
        assert page.digit(bad, None, None, "en", reader=read_mnist, images=rows) == {}


def test_the_examples_are_one_test_digit_per_class_read_as_drawings(page):
    assert [int(page.labels[i]) for i in page.examples] == list(range(10))
    for d in range(10):
        out = page.digit(d, None, None, "en", reader=read_as_drawn, images=page.examples)
        assert max(out["prediction"], key=out["prediction"].get) == str(d)


def test_unsure_shows_both_digits_and_the_stroke_to_look_at_only_when_close():
    close = views.unsure_html(torch.tensor([0, 0.55, 0, 0, 0, 0, 0, 0.40, 0, 0.05]), "es")
    assert "¿1 o 7?" in close and "55\u00a0%" in close and "40\u00a0%" in close and "barra" in close
    assert views.unsure_html(torch.tensor([0, 0.3, 0, 0, 0, 0, 0.3, 0.2, 0, 0.2]), "en").count("Look at") == 1
    assert views.unsure_html(torch.tensor([0, 0, 0, 0.9, 0, 0.1, 0, 0, 0, 0]), "en") == ""


def test_every_text_key_of_the_page_exists_in_both_languages(demo):
    config = json.dumps(demo.get_config_file(), default=str).replace('\\"', '"')
    keys = set(re.findall(r'"translation_metadata", "key": "([^"]+)"', config))
    assert {"app.title", "draw.label", "clear", "act-conv1.text"} <= keys
    assert keys <= set(text.EN) and keys <= set(text.ES)


def test_the_page_has_every_output_once_in_data_flow_order(demo):
    ids = [b.elem_id for b in demo.blocks.values() if b.elem_id]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if i in render.PANELS] == list(render.PANELS)
    assert ids.index("draw") < ids.index("prediction") < ids.index("input28")
    assert ids.index("act-output") < ids.index("kernel-detail")  # "Look closer" comes after the panels
    assert {"mistakes", "examples", "status", "unsure", "lang", "upload"} <= set(ids)


def test_a_pen_up_and_its_experiments_never_queue_behind_the_other_events(demo):
    pen_up = next(i for i, fn in demo.fns.items() if any(kind == "drawn" for _, kind in fn.targets))
    ours = {fn.concurrency_id for i, fn in demo.fns.items() if pen_up in (i, fn.trigger_after)}
    others = {fn.concurrency_id for i, fn in demo.fns.items() if pen_up not in (i, fn.trigger_after)}
    assert len(ours) == 2 and not ours & others  # slots of their own: calls to other events never take them


def test_predict_is_the_only_named_endpoint(demo):
    api = demo.get_api_info()["named_endpoints"]
    assert list(api) == ["/predict"] and len(api["/predict"]["parameters"]) == 1


def test_bad_weights_exit_with_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["app.py", "--weights", str(tmp_path / "none.safetensors")])
    with pytest.raises(SystemExit) as e:
        app.main()
    assert "missing" in str(e.value.code) and "Traceback" not in str(e.value.code)


def test_misread_digits_are_captioned_with_the_label_and_guess_in_both_languages():
    images = torch.zeros(3, 28, 28, dtype=torch.uint8)
    images[2, 5, 6] = 255
    html = views.mistakes_html([{"index": 2, "label": 4, "guess": 9, "confidence": 0.873}], images)
    assert html.count("<button") == 1 and html.count("<img") == 1  # the picture once, the words in both languages
    assert '<span class="l-en" lang="en">4 → 9 (87%)</span>' in html
    assert '<span class="l-es" lang="es">4 → 9 (87\u00a0%)</span>' in html
    assert picture(html).size == (28, 28) and picture(html).getpixel((6, 5)) == 255
