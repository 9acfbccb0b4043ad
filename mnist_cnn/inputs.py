"""What a browser sends, checked before anything is read. Anyone can call any event of the page with any JSON, so
nothing named by a visitor is opened unless it lies in Gradio's upload folder, and every index is checked for its
type and range. Each refusal is an InputError whose sentence is the same whether a path exists or not.
"""
import base64
import binascii
import math
import os
from pathlib import Path

import numpy as np

from .errors import InputError
from .images import PARSE_ERRORS, grey_levels, pad_png

PNG_URL = "data:image/png;base64,"
# The pad sends a 280×280 PNG: 10–40 KB for a drawing, about 54 KB in base64 for the busiest scribble.
MAX_DRAWING = 1_000_000
# A digit on the pad inks 6–18% of it (500 pen-drawn digits, 18% at most); a pad more than half inked (filled in,
# noise) is no digit, and is refused before the reading, which would cost as much as a real drawing's.
INKED = 0.75  # grey level below which a pixel counts as ink (white paper is 1)
MAX_INK = 0.5
MAX_PATH = 4096  # characters; a longer "path" is not one Gradio wrote


def drawing(value: object) -> bytes | None:
    """The pad's value -> the PNG bytes it carries (at most MAX_PAD_SIDE px a side), or None for an empty pad;
    InputError for anything else, and for a pad more than MAX_INK inked."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith(PNG_URL) or len(value) > MAX_DRAWING:
        raise InputError("error.drawing")
    try:
        png = base64.b64decode(value[len(PNG_URL):], validate=True)
    except (binascii.Error, ValueError):
        raise InputError("error.drawing") from None
    img = pad_png(png)  # its size as Pillow's own PNG parse reads it, whatever chunks come before IHDR
    if img is None:
        raise InputError("error.drawing")
    try:  # at most MAX_PAD_SIDE² px: decoding is bounded
        grey = grey_levels(img)
    except PARSE_ERRORS:
        raise InputError("error.drawing") from None
    if np.count_nonzero(grey < INKED) > MAX_INK * grey.size:
        raise InputError("error.scribble")
    return png


def uploaded(value: object, folder: str | Path) -> Path:
    """A file a visitor uploaded: its real path if it is a regular file inside folder (Gradio's upload folder);
    InputError otherwise, with one sentence whatever the path names, so that nothing about the server leaks."""
    if not isinstance(value, (str, Path)) or not 0 < len(str(value)) <= MAX_PATH or "\x00" in str(value):
        raise InputError("error.not_uploaded")
    path = Path(os.path.realpath(value))  # "..", symlinks and relative paths resolved before the check
    if not path.is_relative_to(os.path.realpath(folder)) or not path.is_file():
        raise InputError("error.not_uploaded")
    return path


def real(value: object, low: float, high: float) -> float:
    """A finite number in [low, high]; ValueError otherwise (strings, bools, NaN and infinities included)."""
    if isinstance(value, np.integer):  # numpy's ints are ints too
        value = int(value)
    # ints are compared exactly, never turned into floats: math.isfinite(10 ** 400) raises OverflowError
    if isinstance(value, bool) or not isinstance(value, (int, float)) or isinstance(value, float) and \
            not math.isfinite(value):
        raise ValueError(f"not a finite number: {str(value)[:40]}")
    if not low <= value <= high:
        raise ValueError(f"{str(value)[:40]} is not in [{low}, {high}]")
    return float(value)


def whole(value: object, low: int, high: int) -> int:
    """An integer in [low, high] (an int, or a float with no fraction, as JSON may send it); ValueError otherwise."""
    number = real(value, low, high)
    if not number.is_integer():
        raise ValueError(f"not a whole number: {value!r}")
    return int(number)


def one_of(value: object, allowed) -> int:
    """An integer among allowed (an int, or a float with no fraction); ValueError otherwise."""
    number = whole(value, min(allowed), max(allowed))
    if number not in allowed:
        raise ValueError(f"{number} is not one of {list(allowed)}")
    return number
