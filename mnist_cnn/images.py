"""Images read with a budget: only the formats the page needs, each image's size from its format's own header parse
before a pixel is decoded, a JPEG's scans counted, then the grey levels that preprocessing starts from. It imports
only PIL and numpy, so that the worker that decodes uploaded files (worker.py) starts quickly and stays small.
"""
import base64
import binascii
import io
import re
import struct
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from .errors import BlankImageError, InputError

# The formats the page reads, Pillow's name -> how people write it. Any other is refused before its plugin runs:
# some decode pixels while "opening" (an ICO or ICNS file decodes its embedded PNG there, before any size check).
FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP", "GIF": "GIF", "BMP": "BMP"}
FORMAT_LIST = ", ".join(FORMATS.values())  # what the texts' %(formats)s say
MAX_PIXELS = 25_000_000  # 5000×5000: far more than any drawing; a decompression bomb is refused before decoding
MAX_SIDE = 10_000  # px on the longer side
MAX_BYTES = 10_000_000
WORK_SIDE = 560  # larger images are first reduced to this, which loses nothing a 28×28 digit needs
MAX_PAD_SIDE = 560  # px: the pad sends 280×280 (twice that for a dense screen); PNGs this small are read in-process
# A progressive JPEG arrives in scans, each refining the last: libjpeg's usual progression has 10 (6 for grey), and
# cameras and encoders such as mozjpeg stay under 20. Each scan costs a pass over all of the image's blocks however
# few bytes it holds: 20,000 copies of the 38-byte last scan of a flat 1500×1500 picture are 0.8 MB and 40 s of CPU.
MAX_SCANS = 64
# In a JPEG's entropy-coded data, a marker: 0xFF then a byte that is not a stuffed 0x00, a restart marker (RST0-7,
# which belong to the scan) or another 0xFF (fill)
SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
# what Pillow raises on bad data while parsing or decoding
PARSE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error)


def encoded(source) -> bytes:
    """The bytes of an encoded image: a data URL, a path, bytes or a binary file object; InputError if there are none
    or too many. Paths are opened as they are: the app hands over only what inputs.py has checked."""
    if isinstance(source, str) and source.startswith("data:"):
        try:
            return encoded(base64.b64decode(source.split(",", 1)[1], validate=True))
        except (IndexError, binascii.Error):
            raise InputError("error.data_url") from None
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise InputError("error.no_file", name=path.name)
        if path.stat().st_size > MAX_BYTES:
            raise InputError("error.file_size", size=path.stat().st_size / 1e6, limit=MAX_BYTES // 1_000_000)
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)  # a file may grow after its size is read
    elif isinstance(source, io.BytesIO):
        data = source.getvalue()
    elif hasattr(source, "read"):
        data = source.read(MAX_BYTES + 1)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        raise InputError("error.not_image", formats=FORMAT_LIST)
    if len(data) > MAX_BYTES:
        raise InputError("error.file_size", size=len(data) / 1e6, limit=MAX_BYTES // 1_000_000)
    if not data:
        raise InputError("error.empty_file")
    return data


def format_of(prefix: bytes) -> str | None:
    """The Pillow format whose signature a file's first 16 bytes carry, or None: only each plugin's signature test
    runs, none of its parsing (Image.open has no way to name a format it was told not to open)."""
    Image.init()
    for name, (_, accept) in Image.OPEN.items():
        said = accept(prefix) if accept is not None else None
        if said and not isinstance(said, str):  # a str is a plugin's "nearly, but unsupported"
            return name
    return None


def jpeg_scans(data: bytes, most: int = MAX_SCANS) -> int:
    """The scans (SOS markers) of a JPEG's first image, counted by walking its marker segments and the entropy-coded
    data of each scan as libjpeg does; the count stops once it passes most."""
    count, pos = 0, 2  # after the SOI marker
    while count <= most and pos + 1 < len(data):
        if data[pos] != 0xFF:  # bytes that are no marker: libjpeg skips them to the next 0xFF, and so do we
            pos = data.find(b"\xff", pos)
            if pos < 0:
                break
            continue
        marker = data[pos + 1]
        if marker == 0xFF:  # fill
            pos += 1
            continue
        if marker == 0xD9:  # EOI: the first image ends (an MPO's others are never decoded)
            break
        if marker in (0x00, 0x01) or 0xD0 <= marker <= 0xD7:  # no length: a stray stuffed byte, TEM, RST0-7
            pos += 2
            continue
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xDA:  # SOS: its header, then entropy-coded data up to the next marker
            count += 1
            end = SCAN_END.search(data, pos)
            if end is None:
                break
            pos = end.start()
    return count


def opened(data: bytes) -> Image.Image:
    """An encoded image opened by Image.open among FORMATS, its header parsed and nothing decoded; InputError for any
    other format, for damaged headers and for sizes over MAX_SIDE and MAX_PIXELS or JPEGs over MAX_SCANS scans."""
    try:
        img = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # the warning, where warnings are errors
        raise InputError("error.bomb", limit=MAX_PIXELS // 1_000_000) from None
    except UnidentifiedImageError:
        kind = format_of(data[:16])
        if kind in FORMATS:  # one of ours whose header Pillow could not parse
            raise InputError("error.damaged") from None
        if kind is not None:
            raise InputError("error.format", format=kind, formats=FORMAT_LIST) from None
        raise InputError("error.not_image", formats=FORMAT_LIST) from None
    except PARSE_ERRORS:
        raise InputError("error.damaged") from None
    if max(img.size) > MAX_SIDE:  # a 1 × 25,000,000 strip costs far more than its pixel count says
        raise InputError("error.side", width=img.width, height=img.height, limit=MAX_SIDE)
    if img.width * img.height > MAX_PIXELS:
        raise InputError("error.pixels", width=img.width, height=img.height, limit=MAX_PIXELS // 1_000_000)
    if img.format in ("JPEG", "MPO") and jpeg_scans(data) > MAX_SCANS:
        raise InputError("error.scans", limit=MAX_SCANS)
    return img


def pad_png(data: bytes) -> PngImagePlugin.PngImageFile | None:
    """data opened as a PNG of at most MAX_PAD_SIDE px a side, nothing decoded yet; None if it is anything else.
    PngImageFile is Pillow's own PNG parse, the one Image.open runs, without Image.open's process-wide pixel check,
    whose limit is not the pad's and whose warning this process must not print."""
    try:
        img = PngImagePlugin.PngImageFile(io.BytesIO(data))
    except PARSE_ERRORS:
        return None
    return img if max(img.size) <= MAX_PAD_SIDE else None


def load_image(source) -> Image.Image:
    """Open and decode an image (a decoded one is returned as it is); InputError if it is not a usable image. This
    process decodes only the pad's PNGs this way (worker.read_grey sends everything else to a worker)."""
    if source is None:
        raise BlankImageError("error.blank")
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        floats = source.dtype.kind == "f"  # any float width, taken as [0, 1]
        return Image.fromarray((np.clip(source, 0, 1) * 255).round().astype(np.uint8) if floats else source)
    img = opened(encoded(source))
    try:
        img.draft(None, (WORK_SIDE, WORK_SIDE))  # a JPEG decodes at 1/2 to 1/8 scale when that is enough: far quicker
        img.seek(0)  # the first frame of an animation
        img.load()
    except Image.DecompressionBombError:  # a GIF's frame may claim more than the GIF's own size
        raise InputError("error.bomb", limit=MAX_PIXELS // 1_000_000) from None
    except PARSE_ERRORS:
        raise InputError("error.damaged") from None
    return img


def grey_levels(img: Image.Image) -> np.ndarray:
    """float32 (H, W) luminance in [0, 1] for any mode; transparent parts become the background."""
    img = ImageOps.exif_transpose(img)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit and 32-bit greys
        a = np.asarray(img, dtype=np.float32)
        top = 255.0 if a.max() <= 255 else 65535.0 if a.max() <= 65535 else float(a.max())
        return np.clip(a / top, 0, 1)
    if img.mode in ("P", "PA"):
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "RGBa", "La"):
        alpha = np.asarray(img.getchannel("A"), dtype=np.float32) / 255
        grey = np.asarray(img.convert("L"), dtype=np.float32) / 255
        if alpha.min() < 1:
            # Ink on a transparent sheet: put it on the background that shows it, white under dark ink
            shown = alpha.sum()
            ink_level = (grey * alpha).sum() / shown if shown else 0.0
            paper = 1.0 if ink_level < 0.5 else 0.0
            grey = alpha * grey + (1 - alpha) * paper
        return grey
    return np.asarray(img.convert("L"), dtype=np.float32) / 255


def work_grey(img: Image.Image) -> np.ndarray:
    """A decoded image -> its float32 (H, W) grey levels at most WORK_SIDE px a side, what preprocessing starts
    from; InputError for a mode with no grey levels (LAB, HSV...)."""
    if max(img.size) > WORK_SIDE:
        img = img.copy()
        try:
            img.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.LANCZOS)
        except ValueError:  # thumbnail first reduces by 2× or more, which Pillow cannot for 16-bit greys: 32-bit can
            img = img.convert("I")
            img.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.LANCZOS)
    try:
        return grey_levels(img)
    except (ValueError, OSError):
        raise InputError("error.mode", mode=img.mode, formats=FORMAT_LIST) from None
