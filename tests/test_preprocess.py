"""From drawings and uploads to the network's input: the MNIST recipe's known answers, every image mode and format,
blank pages, and bad files.
"""
import base64
import hashlib
import io
import random
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw, ImageOps

from mnist_cnn import inputs
from mnist_cnn.data import load_mnist, normalise
from mnist_cnn.errors import BlankImageError, InputError
from mnist_cnn.images import MAX_BYTES, grey_levels, load_image
from mnist_cnn.preprocess import INK_SIDE, find_ink, prepare
from mnist_cnn.strokes import draw_strokes, random_drawing
from web import render
from web.i18n import sentence
from web.widgets import data_url as pad_value

ONE = [[(0.38, 0.12), (0.5, 0.0), (0.5, 1.0)]]  # a "1" with a short flag, in the unit square
BAR = [[(0.5, 0.0), (0.5, 1.0)]]  # a "1" as a plain bar


@pytest.fixture(scope="module")
def mnist():
    return load_mnist("test")


@pytest.fixture(scope="module")
def seven(mnist) -> Image.Image:
    """A clear MNIST test "7" as dark ink on a white 280×280 canvas."""
    images, labels = mnist
    assert labels[0] == 7
    return Image.fromarray(255 - images[0].numpy()).resize((280, 280), Image.Resampling.BICUBIC)


@pytest.fixture(scope="module")
def reference(seven) -> np.ndarray:
    return prepare(seven).centred28


def encode(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def read(model, source) -> int:
    with torch.no_grad():
        return int(model(prepare(source).tensor).argmax())


def centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    """(row, column) in px, pixel i spanning [i, i + 1), so the centre of 28×28 is (14, 14)."""
    m = a.astype(np.float64)
    return ((m.sum(1) * np.arange(m.shape[0])).sum() / m.sum() + 0.5,
            (m.sum(0) * np.arange(m.shape[1])).sum() / m.sum() + 0.5)


def assert_one_sentence(e: pytest.ExceptionInfo) -> str:
    message = sentence(e.value)
    assert message[0].isupper() and message.endswith(".") and "\n" not in message and "Traceback" not in message
    return message.lower()


# The MNIST recipe: known answers

def test_prepared_steps(seven):
    p = prepare(seven)
    assert p.tensor.shape == (1, 1, 28, 28) and p.tensor.dtype == torch.float32
    assert torch.allclose(p.tensor, normalise(torch.from_numpy(p.centred28)[None]), atol=1e-6)  # one normalisation
    assert p.centred28.shape == (28, 28) and p.centred28.dtype == np.uint8 and p.centred28.max() > 200
    assert p.ink.shape == (INK_SIDE, INK_SIDE) and p.ink.dtype == np.uint8 and p.scale == INK_SIDE / 280
    x0, y0, x1, y1 = p.box  # in the drawing's px
    assert 0 <= x0 < x1 <= 280 and 0 <= y0 < y1 <= 280
    s = p.scale  # the box holds the ink
    assert p.ink[int(y0 * s):int(y1 * s) + 1, int(x0 * s):int(x1 * s) + 1].sum() > 0.99 * p.ink.sum()
    assert max(p.digit20.shape) == 20 and p.digit20.dtype == np.uint8


def full_ink(source) -> np.ndarray:
    """The ink prepare finds in source, uint8 at the image's own size."""
    return (find_ink(grey_levels(load_image(source))) * 255).round().astype(np.uint8)


@pytest.mark.parametrize("size", [(280, 280), (560, 560), (120, 560), (56, 56)])
def test_the_ink_is_kept_only_as_large_as_the_page_shows_it(seven, size):
    image = seven.resize(size)
    p, full = prepare(image), full_ink(image)
    assert max(p.ink.shape) == min(INK_SIDE, max(size)) and p.ink.nbytes <= INK_SIDE ** 2  # at most 12.5 KB a session
    assert p.scale == min(1.0, INK_SIDE / max(size))
    # the picture of the steps is the one the ink found at full size makes, pixel for pixel
    whole = replace(p, ink=full, scale=1.0)
    assert render.steps_picture(p).tobytes() == render.steps_picture(whole).tobytes()


@pytest.mark.parametrize("corner", [(0, 0), (196, 0), (0, 196), (196, 196)])
def test_off_centre_digit_is_centred(model, mnist, reference, corner):
    images, _ = mnist
    small = Image.fromarray(255 - images[0].numpy()).resize((84, 84), Image.Resampling.BICUBIC)
    canvas = Image.new("L", (280, 280), 255)
    canvas.paste(small, corner)
    p = prepare(canvas)
    x0, y0, x1, y1 = p.box
    assert corner[0] <= x0 and x1 <= corner[0] + 84 and corner[1] <= y0 and y1 <= corner[1] + 84
    assert max(p.digit20.shape) == 20
    cy, cx = centre_of_mass(p.centred28)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    assert np.abs(p.centred28.astype(int) - reference).mean() < 12  # small in a corner ≈ large in the middle
    assert read(model, canvas) == 7


@pytest.mark.parametrize("w, h", [(50, 200), (200, 50), (90, 180)])
def test_aspect_ratio_is_kept(w, h):
    canvas = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(canvas).ellipse((30, 40, 30 + w, 40 + h), outline=0, width=20)
    p = prepare(canvas)
    x0, y0, x1, y1 = p.box
    assert abs((x1 - x0) - (w + 1)) <= 2 and abs((y1 - y0) - (h + 1)) <= 2
    dh, dw = p.digit20.shape
    assert max(dh, dw) == 20 and (dh > dw) == (h > w)
    assert abs((dh / dw) / (h / w) - 1) < 0.2


@pytest.mark.parametrize("strokes", [ONE, BAR], ids=["flag", "bar"])
def test_thin_and_thick_ones_look_alike(model, strokes):
    thin = prepare(draw_strokes(strokes, width=8, size=0.7, origin=(60, 40)))
    thick = prepare(draw_strokes(strokes, width=26, size=0.7, origin=(60, 40)))
    for p in (thin, thick):
        with torch.no_grad():
            assert int(model(p.tensor).argmax()) == 1
        assert p.digit20.shape[0] == 20
    a, b = int(thin.centred28.sum()), int(thick.centred28.sum())
    assert abs(a - b) <= 0.25 * max(a, b)


# Every image mode and format: all read as the 7 they show, with the same network input

def rgba(ink: np.ndarray, colour: int) -> Image.Image:
    """Ink of one grey level on a transparent sheet, with the canvas's RGB 0 under full transparency."""
    a = np.zeros(ink.shape + (4,), np.uint8)
    a[..., :3] = np.where(ink[..., None] > 0, colour, 0)
    a[..., 3] = ink
    return Image.fromarray(a)


def sixteen_bit(img: Image.Image) -> Image.Image:
    return Image.fromarray(np.asarray(img).astype(np.uint16) * 257)


def gif(first: Image.Image, second: Image.Image) -> bytes:
    return encode(first.convert("P"), "GIF", save_all=True, append_images=[second.convert("P")], duration=100)


def exif_rotated(img: Image.Image) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display": the stored pixels lie on their side
    return encode(img.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=95, exif=exif)


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


FORMATS = {
    "L": lambda s: encode(s),
    "RGB": lambda s: encode(s.convert("RGB")),
    "RGBA black ink on transparent": lambda s: encode(rgba(255 - np.asarray(s), 0)),
    "RGBA white ink on transparent": lambda s: encode(rgba(255 - np.asarray(s), 255)),
    "white ink on black": lambda s: encode(ImageOps.invert(s)),
    "LA": lambda s: encode(s.convert("LA")),
    "1-bit": lambda s: encode(s.convert("1")),
    "16-bit": lambda s: encode(sixteen_bit(s)),
    "P": lambda s: encode(s.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=16)),
    "CMYK JPEG": lambda s: encode(s.convert("CMYK"), "JPEG", quality=90),
    "RGB JPEG": lambda s: encode(s.convert("RGB"), "JPEG", quality=75),
    "WebP": lambda s: encode(s.convert("RGB"), "WEBP"),
    "BMP": lambda s: encode(s, "BMP"),
    "animated GIF": lambda s: gif(s, Image.new("L", s.size, 0)),
    "EXIF-rotated JPEG": exif_rotated,
    "large (4000 px)": lambda s: encode(s.resize((4000, 4000), Image.Resampling.BICUBIC)),
    "16-bit, large (2400 px)": lambda s: encode(sixteen_bit(s.resize((2400, 2400), Image.Resampling.BICUBIC))),
    "progressive JPEG": lambda s: encode(s.convert("RGB"), "JPEG", quality=90, progressive=True),
    "data URL": lambda s: data_url(encode(s)),
    "file-like": lambda s: io.BytesIO(encode(s)),
    "PIL image": lambda s: s,
    "numpy uint8": lambda s: np.asarray(s),
    "numpy RGB": lambda s: np.asarray(s.convert("RGB")),
    "numpy float32": lambda s: np.asarray(s, dtype=np.float32) / 255,
    "numpy float64": lambda s: np.asarray(s, dtype=np.float64) / 255,
    "RGBA array": lambda s: np.asarray(rgba(255 - np.asarray(s), 0)),
}


@pytest.mark.parametrize("name", FORMATS)
def test_every_mode_and_format_reads_the_digit(model, seven, reference, name):
    source = FORMATS[name](seven)
    p = prepare(source)
    assert np.abs(p.centred28.astype(int) - reference).mean() < 6, "a different network input than the plain image's"
    with torch.no_grad():
        assert int(model(p.tensor).argmax()) == 7


def test_mode_of_each_file_is_the_one_meant(seven):
    modes = {"16-bit": ("I;16", "I"), "P": ("P",), "CMYK JPEG": ("CMYK",), "LA": ("LA",), "1-bit": ("1",),
             "RGBA black ink on transparent": ("RGBA",)}
    for name, expected in modes.items():
        assert Image.open(io.BytesIO(FORMATS[name](seven))).mode in expected, name


def test_paths(tmp_path, model, seven):
    path = tmp_path / "digit.png"
    seven.save(path)
    assert read(model, path) == 7 and read(model, str(path)) == 7


def test_first_frame_of_an_animation(model, seven, mnist):
    images, labels = mnist
    assert labels[2] == 1
    one = Image.fromarray(255 - images[2].numpy()).resize((280, 280), Image.Resampling.BICUBIC)
    data = gif(seven, one)
    animation = Image.open(io.BytesIO(data))
    assert animation.n_frames == 2
    animation.seek(1)
    assert read(model, animation.convert("L")) == 1  # the second frame shows a 1...
    assert read(model, data) == 7  # ...and the first, which is read, a 7


def test_exif_orientation_is_applied(seven, reference):
    upright = prepare(exif_rotated(seven)).centred28.astype(int)
    sideways = prepare(encode(seven.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=95)).centred28.astype(int)
    assert np.abs(upright - reference).mean() < 6
    assert np.abs(sideways - reference).mean() > 3 * np.abs(upright - reference).mean()


# Blank pages: a clear "nothing drawn", never a digit

def dab(width: float, drag: float = 0.0) -> Image.Image:
    """One touch of the brush, perhaps dragged a little."""
    return draw_strokes([[(0.5, 0.5), (0.5 + drag, 0.5 + drag / 2)]], width=width)


BLANKS = {
    "None": lambda: None,
    "all white": lambda: Image.new("L", (280, 280), 255),
    "all black": lambda: Image.new("RGB", (280, 280), "black"),
    "all transparent": lambda: Image.new("RGBA", (280, 280), (0, 0, 0, 0)),
    "all transparent, white under it": lambda: Image.new("RGBA", (280, 280), (255, 255, 255, 0)),
    "one white pixel": lambda: Image.new("L", (1, 1), 255),
    "one black pixel": lambda: Image.new("L", (1, 1), 0),
    "white JPEG": lambda: encode(Image.new("RGB", (280, 280), "white"), "JPEG", quality=30),
    "paper texture": lambda: Image.fromarray(np.random.default_rng(0).integers(235, 256, (280, 280), np.uint8)),
    "nothing": lambda: None,
    "stray dot, thin brush": lambda: dab(8),
    "stray dot, thick brush": lambda: dab(26),
    "dragged dot": lambda: dab(18, 0.02),
}


@pytest.mark.parametrize("name", BLANKS)
def test_blank_input(name):
    with pytest.raises(BlankImageError) as e:
        prepare(BLANKS[name]())
    assert "nothing" in assert_one_sentence(e)


def test_a_dot_beside_a_digit_is_not_blank(model, seven):
    canvas = seven.copy()
    ImageDraw.Draw(canvas).ellipse((250, 250, 262, 262), fill=0)
    assert read(model, canvas) == 7  # the dot is part of the drawing, not a reason to call it blank


# Bad files: one clear sentence

def bomb() -> bytes:
    """A 20000×20000 PNG: tiny on disk, 400 megapixels once decoded."""
    data = encode(Image.new("1", (20_000, 20_000), 1))
    assert len(data) < 500_000
    return data


BAD = {
    "text": (lambda: b"Dear learner, this is a letter, not a picture.\n", "not an image"),
    "empty bytes": (lambda: b"", "empty"),
    "truncated PNG": (lambda: encode(Image.new("L", (280, 280), 255).point(lambda v: v ^ 0x5A))[:400],
                      "damaged or incomplete"),
    "PNG header only": (lambda: encode(Image.new("L", (280, 280), 255))[:16], "damaged or incomplete"),
    "decompression bomb": (bomb, "too large"),
    "over the pixel limit": (lambda: encode(Image.new("1", (6000, 6000), 1)), "too large"),
    "bad data URL": (lambda: "data:image/png;base64,@@not base64@@", "data url"),
    "data URL of text": (lambda: data_url(b"hello"), "not an image"),
    "TIFF": (lambda: encode(Image.new("L", (280, 280), 255), "TIFF"), "tiff images cannot be read here"),
    "ICO": (lambda: encode(Image.new("L", (64, 64), 255), "ICO"), "ico images cannot be read here"),
    "PCX": (lambda: encode(Image.new("L", (64, 64), 255), "PCX"), "pcx images cannot be read here"),
    "JPEG in 65 scans": (lambda: many_scans(65), "more than 64 scans"),
}


def many_scans(n: int) -> bytes:
    """A progressive JPEG whose last scan comes n - 9 times: n scans."""
    data = encode(Image.new("RGB", (64, 64), "white"), "JPEG", progressive=True)
    last = data.rindex(b"\xff\xda")
    return data[:-2] + data[last:-2] * (n - 10) + data[-2:]


def test_a_jpeg_of_64_scans_is_read(model, seven):
    data = encode(seven.convert("RGB"), "JPEG", quality=90, progressive=True)
    last = data.rindex(b"\xff\xda")
    assert read(model, data[:-2] + data[last:-2] * 54 + data[-2:]) == 7  # a refinement again: the same digit


@pytest.mark.parametrize("name", BAD)
def test_bad_file(name):
    make, words = BAD[name]
    with pytest.raises(InputError) as e:
        prepare(make())
    assert not isinstance(e.value, BlankImageError)
    assert words in assert_one_sentence(e)


def test_bad_files_on_disk(tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    for path, words in ((empty, "empty"), (huge, "too large"), (tmp_path / "absent.png", "no image file")):
        with pytest.raises(InputError) as e:
            prepare(path)
        assert words in assert_one_sentence(e), path


def test_input_errors_have_their_spanish_sentence_with_a_decimal_comma(tmp_path):
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as f:
        f.truncate(12_345_678)  # sparse: costs no disk
    with pytest.raises(InputError) as e:
        prepare(huge)
    assert sentence(e.value) == "The file is too large (12.3 MB); the limit is 10 MB."
    assert sentence(e.value, "es") == "El archivo es demasiado grande (12,3 MB); el límite es de 10 MB."


def test_every_sentence_of_a_refused_format_names_the_formats_read():
    for name in ("TIFF", "ICO", "text"):
        with pytest.raises(InputError) as e:
            prepare(BAD[name][0]())
        assert all("PNG, JPEG, WebP, GIF, BMP" in sentence(e.value, lang) for lang in ("en", "es"))


# The pipelines read as they did before files were decoded in a worker: known answers, bit for bit

def digest(prepared: list) -> str:
    """The first 16 hex digits of a SHA-256 over each Prepared's tensor, ink and box."""
    h = hashlib.sha256()
    for p in prepared:
        h.update(p.tensor.numpy().tobytes())
        h.update(p.ink.tobytes())
        h.update(repr(p.box).encode())
    return h.hexdigest()[:16]


def test_the_pad_s_real_drawings_and_the_shipped_pipelines_read_as_before(dev_samples, mnist, seven, tmp_path):
    samples = dev_samples[:20]
    pad = [prepare(inputs.drawing(pad_value(draw_strokes(s["strokes"])))) for s in samples]  # the page's pen-up
    rng = random.Random(0)
    drawn = [prepare(random_drawing(s["strokes"], rng)) for s in samples]  # evaluate_strokes, drawn_samples
    images, _ = mnist
    digits = [prepare(images[i].numpy()) for i in range(20)]  # train.as_drawn
    files = []
    for name, img, kw in [("a.png", seven, {}), ("b.jpg", seven.convert("RGB"), {"quality": 75}),
                          ("c.jpg", seven.convert("RGB"), {"quality": 90, "progressive": True}),
                          ("d.webp", seven.convert("RGB"), {}), ("e.bmp", seven, {}),
                          ("f.gif", seven.convert("P"), {}), ("g.png", seven.resize((4000, 4000)), {})]:
        img.save(tmp_path / name, **kw)
        files.append(prepare(tmp_path / name))  # uploads, read by a worker
    assert {"pad": digest(pad), "drawn": digest(drawn), "digits": digest(digits), "files": digest(files)} == {
        "pad": "d2bb20d6fcd561a5", "drawn": "b68253c0f586e0c9", "digits": "9da514066a9443a0",
        "files": "4c0b99ea681b2258"}
