"""The red team's images, made the way they made them: a pad PNG whose first chunk says 280×280 where IHDR's size
would be, before an IHDR of 13000×13000 (or 14000×14000); an ICO (and an ICNS) holding a 12000×12000 PNG; a
progressive JPEG whose last scan comes 20,000 times. Each is refused with one sentence, before a pixel is decoded.
"""
import base64
import io
import struct
import warnings
import zlib

import pytest
from PIL import IcnsImagePlugin, IcoImagePlugin, Image, ImageFile, PngImagePlugin

from mnist_cnn import inputs
from mnist_cnn.errors import InputError
from mnist_cnn.images import load_image
from mnist_cnn.preprocess import prepare
from web.i18n import sentence

SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Decoded(BaseException):
    """Raised where Pillow would start decoding pixels: no except clause of the code under test catches it."""


@pytest.fixture
def no_decoding(monkeypatch):
    """Pillow's decoding, in this process, stopped at its start: each load() raises Decoded."""
    def decode(self, *args, **kwargs):
        raise Decoded(type(self).__name__)

    for plugin in (ImageFile.ImageFile, IcoImagePlugin.IcoImageFile, IcnsImagePlugin.IcnsImageFile):
        monkeypatch.setattr(plugin, "load", decode)


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def one_bit_png(side: int, colour_type: int = 0, before: bytes = b"") -> bytes:
    """A side×side 1-bit PNG of one colour (grey, or palette with colour_type 3), `before` its IHDR: a few KB per
    thousand px of side, and side² pixels once decoded."""
    row = bytes(1 + (side + 7) // 8)  # the filter byte, then the packed pixels
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    palette = chunk(b"PLTE", bytes([255, 255, 255, 0, 0, 0])) if colour_type == 3 else b""
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, colour_type, 0, 0, 0))
    return SIGNATURE + before + header + palette + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def decoy_png(side: int) -> bytes:
    """Item 8: the signature, then a chunk `aaAa` whose data says 280×280 at bytes 16-24 (where a first IHDR would
    say the size), then IHDR side×side, 1-bit palette."""
    return one_bit_png(side, colour_type=3, before=chunk(b"aaAa", struct.pack(">IIBBBBB", 280, 280, 8, 0, 0, 0, 0)))


def ico_holding(png: bytes) -> bytes:
    """Item 9: an ICO of one entry (it says 256×256, 32 bits) whose image is the PNG."""
    return struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 6 + 16) + png


def icns_holding(png: bytes) -> bytes:
    """An ICNS of one 1024×1024 entry (ic10) whose image is the PNG."""
    entry = b"ic10" + struct.pack(">I", 8 + len(png)) + png
    return b"icns" + struct.pack(">I", 8 + len(entry)) + entry


def jpeg_scans(jpeg: bytes) -> tuple[bytes, list[bytes], bytes]:
    """A JPEG cut into (what comes before its first scan, each scan with the tables before it, the EOI)."""
    pos, parts, start = 2, [], None
    while jpeg[pos + 1] != 0xD9:
        marker, length = jpeg[pos + 1], int.from_bytes(jpeg[pos + 2:pos + 4], "big")
        end = pos + 2 + length
        if marker == 0xDA:  # the entropy-coded data runs to the next marker that is not RST0-7
            while not (jpeg[end] == 0xFF and jpeg[end + 1] not in (0x00, *range(0xD0, 0xD8))):
                end += 1
        if marker == 0xDA or start is not None:
            start = pos if start is None else start
            if marker == 0xDA:
                parts.append(jpeg[start:end])
                start = end
        pos = end
    return jpeg[:len(jpeg) - len(b"".join(parts)) - len(jpeg[pos:])], parts, jpeg[pos:]


def repeated_last_scan(times: int = 20_000) -> bytes:
    """Item 10: a small progressive JPEG made by Pillow (a flat 1500×1500 picture, 10 scans), its last scan then
    repeated: each copy is a few bytes, and a pass over all of the picture's blocks for libjpeg."""
    buffer = io.BytesIO()
    Image.new("RGB", (1500, 1500), (200, 120, 40)).save(buffer, "JPEG", quality=75, progressive=True)
    head, scans, tail = jpeg_scans(buffer.getvalue())
    assert head + b"".join(scans) + tail == buffer.getvalue() and len(scans) == 10
    return head + b"".join(scans) + scans[-1] * times + tail


def assert_one_sentence(e: pytest.ExceptionInfo) -> str:
    message = sentence(e.value)
    assert message[0].isupper() and message.endswith(".") and "\n" not in message and "Traceback" not in message
    assert sentence(e.value, "es") != message
    return message


# Item 8: the pad's PNG, read in this process

@pytest.mark.parametrize("side", [13_000, 14_000])
def test_a_pad_png_whose_first_chunk_claims_the_pad_s_size_is_refused_before_decoding(no_decoding, side):
    png = decoy_png(side)
    value = inputs.PNG_URL + base64.b64encode(png).decode()
    assert png[16:24] == struct.pack(">II", 280, 280) and len(value) < 40_000  # 27 KB for 13000×13000
    assert PngImagePlugin.PngImageFile(io.BytesIO(png)).size == (side, side)  # Pillow takes the chunk before IHDR
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        with pytest.raises(InputError) as e:
            inputs.drawing(value)
    assert e.value.key == "error.drawing" and "PNG" in assert_one_sentence(e)
    assert not [w for w in said if issubclass(w.category, Image.DecompressionBombWarning)]


@pytest.mark.parametrize("side", [13_000, 14_000])
def test_the_same_png_sent_as_a_file_is_refused_by_its_size(side):
    with pytest.raises(InputError) as e:
        prepare(decoy_png(side))
    assert e.value.key in ("error.side", "error.bomb") and "too" in assert_one_sentence(e)


# Item 9: an uploaded ICO or ICNS, its PNG decoded while Pillow opens it

@pytest.mark.parametrize("kind, holding", [("ICO", ico_holding), ("ICNS", icns_holding)])
def test_an_icon_holding_a_12000_px_png_is_refused_before_decoding(no_decoding, tmp_path, kind, holding):
    path = tmp_path / f"icon.{kind.lower()}"
    path.write_bytes(holding(one_bit_png(12_000)))
    assert path.stat().st_size < 30_000
    with pytest.raises(InputError) as e:
        load_image(path)  # what the worker runs, here where decoding is watched
    assert e.value.key == "error.format" and assert_one_sentence(e).startswith(f"{kind} images cannot be read")


@pytest.mark.parametrize("kind, holding", [("ICO", ico_holding), ("ICNS", icns_holding)])
def test_an_uploaded_icon_is_refused_with_its_sentence(tmp_path, kind, holding):
    path = tmp_path / f"icon.{kind.lower()}"
    path.write_bytes(holding(one_bit_png(12_000)))
    with pytest.raises(InputError) as e:
        prepare(path)
    assert e.value.key == "error.format" and "PNG, JPEG, WebP, GIF, BMP" in assert_one_sentence(e)


# Item 10: a progressive JPEG with its last scan 20,000 times

def test_a_jpeg_with_its_last_scan_repeated_20000_times_is_refused_before_decoding(no_decoding):
    jpeg = repeated_last_scan()
    assert Image.open(io.BytesIO(jpeg)).size == (1500, 1500) and len(jpeg) < 1_000_000  # 0.8 MB
    with pytest.raises(InputError) as e:
        load_image(jpeg)
    assert e.value.key == "error.scans" and "64 scans" in assert_one_sentence(e)


def test_an_uploaded_jpeg_with_its_last_scan_repeated_is_refused_with_its_sentence(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(repeated_last_scan())
    with pytest.raises(InputError) as e:
        prepare(path)
    assert e.value.key == "error.scans"
    assert sentence(e.value, "es").startswith("Este JPEG llega en más de 64 pasadas")


def test_the_same_jpeg_with_its_scans_once_each_is_read(no_decoding):
    with pytest.raises(Decoded):  # it passes every check and is decoded
        load_image(repeated_last_scan(times=0))
