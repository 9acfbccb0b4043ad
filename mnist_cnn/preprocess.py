"""From a drawing or an uploaded image to the network's (1, 1, 28, 28) input, prepared the way MNIST digits were.

MNIST's recipe: crop the ink, scale its longer side to 20 px keeping the aspect ratio (anti-aliased), then place it
in 28×28 so that its centre of mass is the centre. We also bring every stroke to one width, a little bolder than
MNIST's (STROKE_WIDTH), whatever the brush.
"""
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .data import normalise
from .errors import BlankImageError
from .worker import read_grey

FINE = 80  # the digit is thinned or thickened at 4× the 20 px box, where strokes are several pixels wide
# Stroke width in px at the 20 px box, by boundary_width(). MNIST test digits have a median of 2.6 (10% to 90%:
# 2.1 to 3.7); pen-drawn digits are read best a little bolder, at 3.5 (97.6% against 97.3% at 2.5 on the dev set).
STROKE_WIDTH = 3.5
# The ink found is kept at most this many px a side: as large as the page shows it (render.STEP). Each session keeps
# its drawing's Prepared, and the ink of a 560 px image at full size would be 313 KB of it.
INK_SIDE = 112


@dataclass(frozen=True)
class Prepared:
    """The network's input and the steps that led to it, for the app to show."""
    tensor: torch.Tensor  # (1, 1, 28, 28), normalised as data.normalise does
    ink: np.ndarray  # uint8 (h, w): the ink found, white on black, shrunk to at most INK_SIDE px a side
    box: tuple  # (x0, y0, x1, y1) of the ink in the image it was found in, in its px; x1 and y1 exclusive
    scale: float  # px of `ink` per px of that image: 1 unless the image was larger than INK_SIDE
    digit20: np.ndarray  # uint8 (h, w): the digit with its longer side scaled to 20 px
    centred28: np.ndarray  # uint8 (28, 28): what the network sees


def find_ink(grey: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] (1 = full ink), for dark ink on light paper or light ink on dark."""
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    paper = float(np.median(border))
    ink = paper - grey if paper >= 0.5 else grey - paper
    contrast = float(ink.max())
    if contrast < 0.2:
        raise BlankImageError("error.blank_image")
    ink /= contrast  # in place: at 560 px each new array costs more than the arithmetic
    np.clip(ink, 0, 1, out=ink)
    ink[ink < 0.1] = 0  # paper texture and compression noise
    return ink


def boundary_width(mask: np.ndarray) -> float:
    """Stroke width of a binary mask in px: area over half the boundary length (exact for long strokes)."""
    inner = np.zeros_like(mask)  # a pixel on the image's edge is on the boundary
    inner[1:-1, 1:-1] = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    boundary = int(mask.sum() - inner.sum())  # inner pixels are a subset of the mask
    return 2 * float(mask.sum()) / max(boundary, 1)


def ink_box(ink: np.ndarray, level: float = 0.25) -> tuple:
    """(x0, y0, x1, y1) of the pixels with more ink than level; x1 and y1 exclusive."""
    mask = ink > level
    cols, rows = np.flatnonzero(mask.any(0)), np.flatnonzero(mask.any(1))  # 7× quicker than np.nonzero at 280 px
    if len(cols) == 0:
        raise BlankImageError("error.blank_image")
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def resize_longer_side(a: np.ndarray, side: int) -> Image.Image:
    """Scale a uint8 image so that its longer side is `side`, keeping the aspect ratio, anti-aliased."""
    h, w = a.shape
    f = side / max(h, w)
    return Image.fromarray(a).resize((max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.LANCZOS)


def morph(a: np.ndarray, r: int, grow: bool) -> np.ndarray:
    """Dilate (grow) or erode a uint8 image by r px with an octagon, the nearest a 3×3 step gets to a disk."""
    pick = np.maximum if grow else np.minimum
    for i in range(r):
        p = np.pad(a, 1, mode="constant", constant_values=0 if grow else 255)
        cross = pick(pick(p[1:-1, 1:-1], pick(p[:-2, 1:-1], p[2:, 1:-1])), pick(p[1:-1, :-2], p[1:-1, 2:]))
        # alternating the cross with the full 3×3 square keeps corners round
        a = cross if i % 2 else pick(cross, pick(pick(p[:-2, :-2], p[:-2, 2:]), pick(p[2:, :-2], p[2:, 2:])))
    return a


def set_stroke_width(fine: np.ndarray) -> np.ndarray:
    """Thin or thicken the strokes of the digit at FINE scale to MNIST's width (×4, since FINE is 4× the box)."""
    width = boundary_width(fine > 127)
    r = round((width - 4 * STROKE_WIDTH) / 2)  # one step changes the width by 2 px
    if r < 0:
        return morph(np.pad(fine, -r), -r, grow=True)
    mass = float(fine.sum())
    while r > 0:
        thinner = morph(fine, r, grow=False)
        if float(thinner.sum()) > 0.35 * mass:  # never erase whole strokes
            return thinner
        r -= 1
    return fine


def centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    """(row, column) of an image's centre of mass in px, pixel i spanning [i, i + 1)."""
    h, w = a.shape
    mass = a.astype(np.float64)
    total = mass.sum()
    return (mass.sum(1) * np.arange(h)).sum() / total + 0.5, (mass.sum(0) * np.arange(w)).sum() / total + 0.5


def centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place a digit of at most 20×20 in 28×28 with its centre of mass at the centre (14, 14)."""
    h, w = digit.shape
    cy, cx = centre_of_mass(digit)
    top = int(np.clip(round(14 - cy), 0, 28 - h))
    left = int(np.clip(round(14 - cx), 0, 28 - w))
    out = np.zeros((28, 28), dtype=np.uint8)
    out[top:top + h, left:left + w] = digit
    return out


def shrink_ink(ink: np.ndarray) -> tuple[np.ndarray, float]:
    """The ink (uint8) shrunk to at most INK_SIDE px a side, averaging pixels, and its scale (1 if already small)."""
    h, w = ink.shape
    if max(h, w) <= INK_SIDE:
        return ink, 1.0
    f = INK_SIDE / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.BOX, reducing_gap=2.0)), f


def prepare(source) -> Prepared:
    """A drawing or image -> the network's normalised input, with each step; BlankImageError if nothing is drawn."""
    grey = read_grey(source)  # files in a worker process, with a budget of time and memory
    ink = find_ink(grey)
    x0, y0, x1, y1 = ink_box(ink)
    crop = ink[y0:y1, x0:x1]
    if max(x1 - x0, y1 - y0) < max(3, 2.5 * boundary_width(crop > 0.35)):
        raise BlankImageError("error.dot")
    ink8 = (ink * 255).round().astype(np.uint8)
    fine_a = set_stroke_width(np.asarray(resize_longer_side(ink8[y0:y1, x0:x1], FINE)))
    fx0, fy0, fx1, fy1 = ink_box(fine_a, level=0)
    digit20 = np.asarray(resize_longer_side(fine_a[fy0:fy1, fx0:fx1], 20))
    centred28 = centre_by_mass(digit20)
    kept, scale = shrink_ink(ink8)
    return Prepared(normalise(torch.from_numpy(centred28)[None]), kept, (x0, y0, x1, y1), scale, digit20, centred28)
