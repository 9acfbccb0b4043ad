"""Images read with a budget: a JPEG's scans counted as libjpeg meets them, formats named without being opened, the
pad's PNGs sized by Pillow's own parse, and the bytes of every kind of source."""
import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from mnist_cnn import images
from mnist_cnn.errors import InputError


def jpeg(img: Image.Image, **kw) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", **kw)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def picture() -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))


def test_a_jpeg_s_scans_are_counted(picture):
    assert images.jpeg_scans(jpeg(picture)) == 1  # baseline: one interleaved scan
    assert images.jpeg_scans(jpeg(picture, progressive=True)) == 10  # libjpeg's progression for colour
    assert images.jpeg_scans(jpeg(picture.convert("L"), progressive=True)) == 6  # and for grey
    exif = Image.Exif()
    exif[0x010E] = "\xff\xda" * 100  # SOS markers inside a segment are no scans
    assert images.jpeg_scans(jpeg(picture, progressive=True, exif=exif.tobytes())) == 10


def test_scans_hidden_behind_junk_bytes_are_counted_as_libjpeg_reads_them(picture):
    data = jpeg(picture, progressive=True)
    last = data.rindex(b"\xff\xda")  # the last scan, up to the EOI
    scan = data[last:-2]
    junk = b"\x00\x17" + b"\xff" * 3  # libjpeg skips bytes that are no marker, and fill bytes
    bomb = data[:-2] + (junk + scan) * 100 + data[-2:]
    assert images.jpeg_scans(bomb, most=1000) == 110
    assert images.jpeg_scans(bomb) == images.MAX_SCANS + 1  # counting stops past the limit
    assert images.jpeg_scans(data[:-2] + data[-2:] + scan * 100) == 10  # after EOI: never decoded


def test_a_format_is_named_from_its_signature_only():
    assert images.format_of(b"\x00\x00\x01\x00" + bytes(12)) == "ICO"
    assert images.format_of(b"II*\x00" + bytes(12)) == "TIFF"
    assert images.format_of(b"8BPS\x00\x01" + bytes(10)) == "PSD"
    assert images.format_of(b"\x89PNG\r\n\x1a\n" + bytes(8)) == "PNG"
    assert images.format_of(b"Dear learner, th") is None


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with(side: int, before_ihdr: bytes = b"") -> bytes:
    """A side×side grey PNG, with `before_ihdr` between its signature and its IHDR."""
    pixels = zlib.compress(bytes(1 + side) * side)
    return (b"\x89PNG\r\n\x1a\n" + before_ihdr + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def test_the_pad_s_pngs_are_sized_by_pillow_s_own_parse():
    decoy = chunk(b"aaAa", struct.pack(">II", 280, 280) + bytes(5))  # a private chunk, first: Pillow accepts it
    assert images.pad_png(png_with(images.MAX_PAD_SIDE)).size == (560, 560)
    assert images.pad_png(png_with(images.MAX_PAD_SIDE + 1)) is None
    too_large = png_with(images.MAX_PAD_SIDE + 1, decoy)
    assert PngImagePlugin.PngImageFile(io.BytesIO(too_large)).size == (561, 561)
    assert images.pad_png(too_large) is None  # the size IHDR says, not the one at bytes 16-24
    assert images.pad_png(png_with(280, decoy)).size == (280, 280)
    assert images.pad_png(jpeg(Image.new("RGB", (8, 8)))) is None and images.pad_png(b"") is None


def test_the_bytes_of_each_source(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(b"abc")
    assert images.encoded(path) == images.encoded(str(path)) == images.encoded(io.BytesIO(b"abc")) == b"abc"
    assert images.encoded("data:image/png;base64,YWJj") == images.encoded(bytearray(b"abc")) == b"abc"
    for bad, key in ((b"", "error.empty_file"), (b"x" * (images.MAX_BYTES + 1), "error.file_size"),
                     ("data:image/png;base64,@", "error.data_url"), (tmp_path / "absent.png", "error.no_file"),
                     (7, "error.not_image"), (10**9, "error.not_image")):
        with pytest.raises(InputError) as e:
            images.encoded(bad)
        assert e.value.key == key
