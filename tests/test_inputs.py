"""What a browser sends, checked: the pad's data URL, an uploaded path, numbers; and the door's check of a request."""
import base64
import math
import os
import struct
import zlib

import gradio as gr
import numpy as np
import pytest
from gradio.utils import get_upload_folder
from PIL import Image

from mnist_cnn import inputs
from mnist_cnn.errors import InputError
from mnist_cnn.images import MAX_PAD_SIDE
from mnist_cnn.strokes import draw_strokes
from web.door import files_outside, fits, fits_event
from web.widgets import Radio, Slider, UploadButton, data_url


def test_a_drawing_is_a_small_png_data_url():
    png = data_url(Image.new("L", (280, 280), 255))
    assert inputs.drawing(png) == base64.b64decode(png.split(",", 1)[1])
    assert inputs.drawing("") is None and inputs.drawing(None) is None


@pytest.mark.parametrize("bad", [
    "/etc/passwd", "file:///etc/passwd", "javascript:alert(1)", "data:image/jpeg;base64,AAAA",
    "data:image/png;base64,not base64!", "data:image/png;base64," + base64.b64encode(b"GIF89a...").decode(),
    "data:image/png;base64," + "A" * inputs.MAX_DRAWING, 7, 1.5, True, ["data:image/png;base64,"], {"path": "x"},
])
def test_anything_else_is_one_sentence(bad):
    with pytest.raises(InputError) as e:
        inputs.drawing(bad)
    assert e.value.key == "error.drawing"


def test_a_png_larger_than_the_pad_is_refused_before_it_is_decoded():
    with pytest.raises(InputError):
        inputs.drawing(data_url(Image.new("L", (MAX_PAD_SIDE + 1, 10), 255)))
    assert inputs.drawing(data_url(Image.new("L", (MAX_PAD_SIDE, 10), 255)))


def decoyed(img: Image.Image) -> str:
    """img as the pad's PNG data URL, with a private chunk saying 280×280 before its IHDR (which Pillow accepts)."""
    png = base64.b64decode(data_url(img).split(",", 1)[1])
    body = b"aaAa" + struct.pack(">IIBBBBB", 280, 280, 8, 0, 0, 0, 0)
    decoy = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    return inputs.PNG_URL + base64.b64encode(png[:8] + decoy + png[8:]).decode()


def test_a_png_is_sized_by_its_ihdr_wherever_that_lies():
    small = decoyed(Image.new("L", (280, 280), 255))
    assert inputs.drawing(small) == base64.b64decode(small.split(",", 1)[1])
    with pytest.raises(InputError) as e:
        inputs.drawing(decoyed(Image.new("L", (MAX_PAD_SIDE + 1, 10), 255)))  # bytes 16-24 say 280×280
    assert e.value.key == "error.drawing"


def test_a_pad_more_than_half_inked_is_no_digit_and_is_refused_before_the_reading():
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (280, 280), dtype=np.uint8))
    filled = Image.new("L", (280, 280), 0)
    mostly = Image.new("L", (280, 280), 255)
    mostly.paste(0, (0, 0, 280, 150))  # 54% of it inked
    for bad in (noise, filled, mostly, noise.resize((560, 560))):
        with pytest.raises(InputError) as e:
            inputs.drawing(data_url(bad))
        assert e.value.key == "error.scribble"
    eight = [[(0.5, 0.5), (0.1, 0.2), (0.5, 0.0), (0.9, 0.2), (0.5, 0.5), (0.05, 0.8), (0.5, 1.0), (0.95, 0.8),
              (0.5, 0.5)]]
    bold = draw_strokes(eight, width=40, size=0.85, origin=(21, 21))  # a bold 8 filling the pad: a digit still
    assert inputs.drawing(data_url(bold))


def test_a_png_whose_data_is_damaged_is_one_sentence():
    png = base64.b64decode(data_url(Image.new("L", (280, 280), 255)).split(",", 1)[1])
    with pytest.raises(InputError) as e:
        inputs.drawing(inputs.PNG_URL + base64.b64encode(png[:40]).decode())  # the header, and no pixels
    assert e.value.key == "error.drawing"


def test_an_upload_must_lie_in_the_upload_folder(tmp_path):
    folder = tmp_path / "uploads"
    (folder / "a").mkdir(parents=True)
    inside = folder / "a" / "digit.png"
    inside.write_bytes(b"x")
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"x")
    os.symlink(outside, folder / "a" / "link.png")
    assert inputs.uploaded(str(inside), folder) == inside.resolve()
    for bad in (str(outside), str(folder / "a" / ".." / ".." / "secret.png"), str(folder / "a" / "link.png"),
                str(folder / "a" / "absent.png"), str(folder / "a"), "/dev/zero", "a\x00b", "", "x" * 5000, 7, None,
                ["x"], {"path": str(inside)}):
        with pytest.raises(InputError) as e:
            inputs.uploaded(bad, folder)
        assert e.value.key == "error.not_uploaded" and not e.value.values  # the same sentence, naming nothing


def test_numbers_are_checked_for_type_and_range():
    assert inputs.whole(3, 0, 5) == 3 and inputs.whole(3.0, 0, 5) == 3 and inputs.whole(np.int64(2), 0, 5) == 2
    assert inputs.real(0.5, 0, 1) == 0.5 and inputs.one_of(2, (1, 2)) == 2
    for bad in (True, "3", None, [3], 3.5, math.inf, math.nan, -1, 6):
        with pytest.raises(ValueError):
            inputs.whole(bad, 0, 5)
    for bad in (True, "0.5", math.inf, -math.inf, math.nan, 2):
        with pytest.raises(ValueError):
            inputs.real(bad, 0, 1)
    with pytest.raises(ValueError):
        inputs.one_of(0, (1, 2))


def test_the_door_finds_files_outside_the_upload_folder_anywhere_in_a_request():
    folder = get_upload_folder()
    inside = {"path": f"{folder}/abc/x.png", "meta": {"_type": "gradio.FileData"}}
    assert not files_outside({"data": [inside, None, "en"]}, folder)
    assert not files_outside({"data": ["/etc/passwd"]}, folder)  # a bare string is the handlers' to judge
    for bad in ({"path": "/etc/passwd"}, {"path": f"{folder}/../etc/passwd"}, {"path": 7}, {"path": None},
                {"a": [{"b": {"path": "/x"}}]}):
        assert files_outside({"data": [bad]}, folder), bad
    deep = []
    for _ in range(30):
        deep = [deep]
    assert files_outside({"data": deep}, folder)  # deeper than any page sends


def test_the_door_lets_through_for_each_input_only_what_the_page_sends_there():
    slider, radio = Slider(-4, 4, value=0, step=1), Radio([0, 1, 2], value=1)
    html, upload, state = gr.HTML("en"), UploadButton("Upload"), gr.State(None)
    for component, good, bad in (
            (slider, [-4, 0, 2.5, 4], [5, -4.5, math.inf, math.nan, True, "1", [1], {"path": "x"}]),
            (radio, [0, 2], [3, 0.5, True, "1", [1]]),
            (html, ["", "en", "data:image/png;base64,iVBOR"], [7, True, 1.5, ["en"], {"a": "en"}]),
            (upload, [{"path": "/tmp/gradio/x/digit.png", "meta": {"_type": "gradio.FileData"}}],
             ["/etc/passwd", 7, [{"path": "x"}], {"url": "http://127.0.0.1:9/x.png"}])):
        assert all(fits(component, v) for v in [None, *good]), component  # None: nothing sent yet
        assert not any(fits(component, v) for v in bad), component
    assert all(fits(state, v) for v in (7, "/etc/passwd", [1], {"a": 1}))  # Gradio never reads what is sent
    lang, longest = gr.HTML("en", elem_id="lang"), {"lang": 2}
    assert fits(lang, "es", longest) and fits(lang, "", longest) and fits(html, "x" * 10_000, longest)
    assert not fits(lang, "/etc/passwd", longest) and not fits(lang, "eng", longest)


def test_the_door_checks_a_queue_join_against_its_event_s_inputs():
    def moved(x, lang):
        return None

    def picked(evt: gr.SelectData, lang):  # Gradio hands it the picked item's index
        return None

    with gr.Blocks() as demo:
        slider, html, button = Slider(-4, 4, value=0, step=1), gr.HTML("en"), gr.Button()
        button.click(moved, [slider, html], None)
        html.select(picked, [html], None)
    move, pick = (next(i for i, f in demo.fns.items() if f.fn is fn) for fn in (moved, picked))
    def join(fn_index, data, **more) -> dict:
        return {"fn_index": fn_index, "data": data, "session_hash": "x1", **more}
    assert fits_event(demo, join(move, [3, "en"]))
    for bad in (join(move, [9, "en"]), join(move, [3, 7]), join(move, [3]), join(move, "3,en"), join(99, []),
                join(str(move), [3, "en"]), join(True, [3, "en"]), [move, 3, "en"],
                {"fn_index": move, "data": [3, "en"]}, join(move, [3, "en"], session_hash=""),
                join(move, [10 ** 400, "en"]), join(move, [3, "en"], event_data={"n": 10 ** 400})):
        assert not fits_event(demo, bad), str(bad)[:80]
    for index in (4, [1, 2], None):
        assert fits_event(demo, join(pick, ["en"], event_data={"index": index, "value": None}))
    for index in (1.5, math.inf, "4", True, [1, "2"], {"a": 1}):
        assert not fits_event(demo, join(pick, ["en"], event_data={"index": index})), index
