"""Bad and unusual files, sent through the /predict API and through the page's upload: one clear sentence for what
cannot be read, "nothing drawn" for blank pictures, the right digit for odd but valid ones, and the server keeps
serving after each.
"""
import asyncio
import os
import shutil
import struct
import uuid
import zlib
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio.state_holder import SessionState
from gradio.utils import get_upload_folder
from gradio_client import Client, handle_file
from PIL import Image

import app
from mnist_cnn.images import FORMAT_LIST
from mnist_cnn.strokes import draw_strokes
from web import serving
from web.door import MAX_UPLOAD
from web.i18n import t
from web.widgets import UploadButton

# file name -> words the sentence that refuses it must contain
UNREADABLE = {
    "notes.png": "not an image",
    "empty.png": "empty",
    "truncated.png": "damaged or incomplete",
    "bomb.png": "too large",
    "tall.png": "too long or too tall",
    "lab.tif": "TIFF images cannot be read",  # the page reads only the formats it needs
}
BLANK = ["white.png", "transparent.png", "one_pixel.png"]
READABLE = ["white_on_black.png", "black_on_transparent.png", "grey16.png", "cmyk.jpg", "animated.gif",
            "4000px.png"]
LIMIT = MAX_UPLOAD  # serving.LAUNCH["max_file_size"]


def bomb_png(side: int = 20_000, height: int | None = None) -> bytes:
    """A valid 1-bit PNG of side×side (or side×height) black pixels: tens of KB on disk, 400 megapixels once
    decoded."""
    height = height or side
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = bytes(1 + (side + 7) // 8)  # filter byte, then the packed pixels
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def files(tmp_path_factory, digit_strokes) -> dict[str, str]:
    """Every test file by name; the readable ones show a 7."""
    folder = tmp_path_factory.mktemp("bad_input")
    seven = draw_strokes(digit_strokes["7"])  # black on white, 280×280
    ink = Image.eval(seven, lambda v: 255 - v)
    made = {}

    def save(name: str, image: Image.Image, **kw) -> None:
        image.save(folder / name, **kw)

    (folder / "notes.png").write_bytes(b"hello, this is text and not a picture")
    (folder / "empty.png").write_bytes(b"")
    seven.save(folder / "whole.png")
    whole = (folder / "whole.png").read_bytes()
    (folder / "truncated.png").write_bytes(whole[:len(whole) // 2])
    (folder / "bomb.png").write_bytes(bomb_png())
    (folder / "tall.png").write_bytes(bomb_png(1, 25_000_000))  # 1 × 25,000,000: within the pixel count
    save("lab.tif", Image.new("LAB", (64, 64)))
    (folder / "over_limit.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(LIMIT + 100_000))
    save("white.png", Image.new("L", (280, 280), 255))
    save("transparent.png", Image.new("RGBA", (280, 280), (0, 0, 0, 0)))
    save("one_pixel.png", Image.new("L", (1, 1), 0))
    save("white_on_black.png", ink)
    on_glass = Image.new("RGBA", seven.size, (0, 0, 0, 0))
    on_glass.putalpha(ink)
    save("black_on_transparent.png", on_glass)
    save("grey16.png", Image.fromarray(np.asarray(seven).astype(np.uint16) * 257))
    save("cmyk.jpg", seven.convert("CMYK"), quality=90)
    moved = draw_strokes(digit_strokes["7"], origin=(30, 50))
    save("animated.gif", seven.convert("P"), save_all=True, append_images=[moved.convert("P")], duration=100)
    save("4000px.png", draw_strokes(digit_strokes["7"], width=250, origin=(600, 600), canvas=4000))
    for path in folder.iterdir():
        made[path.name] = str(path)
    return made


def test_the_files_are_what_they_claim(files):
    assert Image.open(files["grey16.png"]).mode == "I;16"
    assert Image.open(files["cmyk.jpg"]).mode == "CMYK"
    assert Image.open(files["animated.gif"]).n_frames == 2
    assert Image.open(files["4000px.png"]).size == (4000, 4000)
    assert os.path.getsize(files["bomb.png"]) < 500_000
    assert struct.unpack(">II", Path(files["bomb.png"]).read_bytes()[16:24]) == (20_000, 20_000)  # IHDR
    with pytest.raises(Image.DecompressionBombError):  # Pillow's own guard; the app must say it in a sentence
        Image.open(files["bomb.png"])
    assert os.path.getsize(files["over_limit.png"]) > LIMIT
    assert serving.LAUNCH["max_file_size"] == MAX_UPLOAD


# Through the API

@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


def predict(client: Client, path: str) -> str:
    return client.predict(handle_file(path), api_name="/predict")["label"]


def refusal(client: Client, path: str) -> str:
    with pytest.raises(Exception) as e:
        client.predict(handle_file(path), api_name="/predict")
    return str(e.value)


@pytest.mark.parametrize("name", UNREADABLE)
def test_api_refuses_an_unreadable_file_with_its_sentence_then_keeps_serving(client, files, name):
    said = refusal(client, files[name])
    assert UNREADABLE[name] in said
    assert "upstream" not in said and "Traceback" not in said and "Error(" not in said
    assert predict(client, files["whole.png"]) == "7"


@pytest.mark.parametrize("name", BLANK)
def test_api_says_nothing_is_drawn_on_a_blank_picture(client, files, name):
    said = refusal(client, files[name])
    assert "blank" in said or "Nothing is drawn" in said
    assert predict(client, files["whole.png"]) == "7"


@pytest.mark.parametrize("name", READABLE)
def test_api_reads_an_odd_but_valid_picture_as_the_digit_it_shows(client, files, name):
    assert predict(client, files[name]) == "7"


def test_api_refuses_a_file_over_the_size_limit_then_keeps_serving(app_url, client, files):
    said = refusal(client, files["over_limit.png"])  # gradio_client checks the limit the server announces
    assert "exceeds the maximum file size" in said
    # and the server itself refuses it, to any client
    with open(files["over_limit.png"], "rb") as f:
        answer = httpx.post(app_url + "gradio_api/upload", files={"files": ("big.png", f)}, timeout=30)
    assert answer.status_code == 413
    assert "The request is too large" in answer.json()["error"]  # at the door, before Gradio writes anything
    assert predict(client, files["whole.png"]) == "7"


# Through the page's upload, in process: the file in Gradio's upload folder, Gradio's own preprocessing, the handler

@pytest.fixture(scope="module")
def page(model):
    """The page and its upload event."""
    demo = app.build(model)
    upload = next(b for b in demo.blocks.values() if b.elem_id == "upload")
    event = next(fn for fn in demo.fns.values() if (upload._id, "upload") in fn.targets)
    return demo, event, [b.elem_id for b in event.outputs]


def upload(page, path: str) -> dict:
    """What the page's upload event answers for a file put in Gradio's upload folder, by element id."""
    demo, event, ids = page
    folder = Path(get_upload_folder()) / uuid.uuid4().hex
    folder.mkdir(parents=True)
    shutil.copy(path, folder)
    sent = {"path": str(folder / Path(path).name), "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}
    data = [sent] + [None] * (len(event.inputs) - 2) + ["en"]  # the file, the session's state, the language
    data = asyncio.run(demo.process_api(event, data, SessionState(demo)))["data"]
    return {key: value for key, value in zip(ids, data)  # changed outputs with an id (the State has none)
            if key and not (isinstance(value, dict) and value.get("__type__"))}


def test_the_upload_button_hands_over_the_path_unopened(files):
    assert UploadButton().preprocess({"path": files["notes.png"], "meta": {}}) == files["notes.png"]
    assert UploadButton().preprocess(None) is None and UploadButton().preprocess("/etc/passwd") is None


@pytest.mark.parametrize("name", UNREADABLE)
def test_upload_refuses_an_unreadable_file_with_its_sentence_and_keeps_the_page(page, files, name):
    out = upload(page, files[name])
    assert set(out) == {"status"} and UNREADABLE[name] in out["status"]


@pytest.mark.parametrize("name", BLANK)
def test_upload_says_nothing_is_drawn_on_a_blank_picture(page, files, name):
    out = upload(page, files[name])
    assert "Nothing is drawn" in out["status"] or "blank" in out["status"]
    assert not out["prediction"]  # no answer to a blank page (gr.Label sends {})


@pytest.mark.parametrize("name", READABLE)
def test_upload_reads_an_odd_but_valid_picture_as_the_digit_it_shows(page, files, name):
    assert upload(page, files[name])["prediction"]["label"] == "7"


# In a real browser: what the person sees

def choose(page, path: str) -> None:
    """Click the upload button and pick a file in the dialog it opens."""
    with page.expect_file_chooser() as chooser:
        page.click("#upload")
    chooser.value.set_files(path)


def test_browser_shows_the_sentence_for_a_bad_upload_and_then_reads_a_good_one(open_page, files):
    from playwright.sync_api import expect

    page = open_page()
    choose(page, files["notes.png"])
    expect(page.locator("#status")).to_contain_text(UNREADABLE["notes.png"])
    choose(page, files["over_limit.png"])  # refused by the page before it is sent
    expect(page.locator(".toast-body")).to_contain_text("maximum allowed size of 5")
    page.locator(".toast-close").first.click()
    choose(page, files["cmyk.jpg"])
    expect(page.locator("#prediction .output-class")).to_have_text("7")
    expect(page.locator("#status")).to_have_text("")


def test_browser_in_spanish_shows_the_sentence_in_spanish(open_page, files):
    from playwright.sync_api import expect

    page = open_page(locale="es-ES")
    choose(page, files["notes.png"])
    expect(page.locator("#status")).to_have_text(t("error.not_image", "es", formats=FORMAT_LIST))
