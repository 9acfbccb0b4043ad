"""Random distortions that make MNIST digits look like hand drawings: rotation, shift, scale, shear and stroke width,
each image of a batch with its own parameters; and writing styles MNIST hardly has (flagged 1s, crossed 7s, slashed 0s).
"""
import math
import random

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .preprocess import boundary_width, ink_box, prepare
from .strokes import draw_strokes


def random_warp(x: torch.Tensor, g: torch.Generator, degrees: float = 12.0, scale: tuple = (0.85, 1.1),
                shift: float = 2.0, shear: float = 0.2) -> torch.Tensor:
    """Rotate, scale, shear and shift each image (N, 1, 28, 28) by its own random amount."""
    n = x.shape[0]
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(n, generator=g)  # noqa: E731
    angle = u(-degrees, degrees) * math.pi / 180
    sx = u(*scale)
    sy = sx * u(0.9, 1.1)  # people draw digits a little wider or narrower than MNIST's
    sh = u(-shear, shear)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # affine_grid maps output to input coordinates, so the inverse of scaling is a division
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = cos / sx
    theta[:, 0, 1] = (-sin + sh * cos) / sx
    theta[:, 1, 0] = sin / sy
    theta[:, 1, 1] = (cos + sh * sin) / sy
    theta[:, :, 2] = torch.stack([u(-shift, shift), u(-shift, shift)], 1) * (2 / 28)  # px -> grid units
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_stroke_width(x: torch.Tensor, g: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """Thicken or thin the strokes of a random part of the batch by up to one pixel on each side."""
    n = x.shape[0]
    thick = F.max_pool2d(x, 3, stride=1, padding=1)
    thin = -F.max_pool2d(-x, 3, stride=1, padding=1)
    amount = torch.rand(n, 1, 1, 1, generator=g)  # fractional, so widths vary smoothly
    choice = torch.rand(n, 1, 1, 1, generator=g)
    out = torch.where(choice < p / 2, x + amount * (thick - x), x)
    return torch.where((choice >= p / 2) & (choice < p), x + amount * (thin - x), out)


def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """The training distortions, for a batch (N, 1, 28, 28) of images in [0, 1]."""
    return random_stroke_width(random_warp(x, g), g).clamp(0, 1)


def warp_strokes(strokes: list, rng: random.Random, degrees: float = 10.0, slant: float = 0.3,
                 aspect: tuple = (0.8, 1.25), wobble: float = 0.04, stroke_shift: float = 0.03) -> list:
    """Pen strokes (unit square) as another writer might have drawn them, before they are drawn: turned up to
    `degrees`, slanted (x moved by up to `slant` times the height above the centre), wider or narrower (`aspect`),
    bent by a smooth random wobble of up to `wobble` of the size, and each stroke of a several-stroke digit moved by
    up to `stroke_shift`; then fitted back into the unit square, longer side 1, centred."""
    pts = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes]
    allpts = np.concatenate(pts)
    centre = (allpts.min(0) + allpts.max(0)) / 2
    angle, sh, ax = math.radians(rng.uniform(-degrees, degrees)), rng.uniform(-slant, slant), rng.uniform(*aspect)
    cos, sin = math.cos(angle), math.sin(angle)
    # y grows downwards: a positive slant leans the top of the digit to the right
    matrix = np.array([[cos, -sin], [sin, cos]]) @ np.array([[ax, -sh], [0.0, 1.0]])
    waves = [(rng.uniform(0, 2 * math.pi), rng.uniform(0.5, 1.5), rng.uniform(0.5, 1.5), rng.uniform(0, 2 * math.pi))
             for _ in range(4)]  # (direction, frequency along x, along y, phase) of two waves per axis
    amp = wobble * rng.random()
    shifts = [(rng.uniform(-stroke_shift, stroke_shift), rng.uniform(-stroke_shift, stroke_shift))
              if len(pts) > 1 else (0.0, 0.0) for _ in pts]
    out = []
    for p, shift in zip(pts, shifts):
        q = (p - centre) @ matrix.T
        bend = [amp / 2 * np.sin(2 * math.pi * (fx * p[:, 0] * math.cos(d) + fy * p[:, 1] * math.sin(d)) + ph)
                for d, fx, fy, ph in waves]
        q = q + np.stack([bend[0] + bend[1], bend[2] + bend[3]], 1) + np.asarray(shift)
        out.append(q)
    allq = np.concatenate(out)
    lo, hi = allq.min(0), allq.max(0)
    scale = 1 / max(float((hi - lo).max()), 1e-6)
    offset = (1 - (hi - lo) * scale) / 2
    return [((q - lo) * scale + offset).tolist() for q in out]


# Writing styles MNIST hardly has, drawn onto a digit at 4× scale and then read through the app's preprocessing.
STYLE_SCALE = 4  # 28 px -> 112 px, where MNIST's strokes are 8-15 px wide and an added line can match them


def enlarge(image: np.ndarray) -> np.ndarray:
    """A uint8 MNIST digit (28, 28) at STYLE_SCALE (112, 112), white ink on black."""
    side = 28 * STYLE_SCALE
    return np.asarray(Image.fromarray(image).resize((side, side), Image.Resampling.BILINEAR))


def add_line(big: np.ndarray, points: list[tuple[float, float]], width: float) -> np.ndarray:
    """The digit with a round-capped line through points (x, y in px) drawn in the digit's ink."""
    side = big.shape[0]
    line = draw_strokes([[(x / side, y / side) for x, y in points]], width, size=1, origin=(0, 0), canvas=side)
    return np.maximum(big, 255 - np.asarray(line))  # draw_strokes draws black on white


def ink_x(mask: np.ndarray, y0: float, y1: float, default: float) -> float:
    """Mean column of the ink in rows y0..y1 (px), or default where they hold none."""
    cols = np.nonzero(mask[max(0, int(y0)):max(int(y0) + 1, int(y1))])[1]
    return float(cols.mean()) if len(cols) else default


def add_flag(big: np.ndarray, rng: random.Random) -> np.ndarray:
    """A continental 1: a flag from the top of the stem down-left (20-40% of the height, 30-50° off the stem),
    and a foot across the bottom one time in three."""
    mask = big > 127
    x0, y0, x1, y1 = ink_box(mask, level=0)
    h, width = y1 - y0, boundary_width(mask)
    top = (ink_x(mask, y0, y0 + 0.08 * h, (x0 + x1) / 2), y0 + width / 2)
    foot = (ink_x(mask, y1 - 0.08 * h, y1, (x0 + x1) / 2), y1 - width / 2)
    stem = math.atan2(foot[0] - top[0], foot[1] - top[1])  # from straight down; < 0 if the foot is left of the top
    length, angle = rng.uniform(0.2, 0.4) * h, stem - math.radians(rng.uniform(30, 50))
    big = add_line(big, [top, (top[0] + length * math.sin(angle), top[1] + length * math.cos(angle))], width)
    if rng.random() < 1 / 3:
        half = rng.uniform(0.12, 0.25) * h
        big = add_line(big, [(foot[0] - half, foot[1]), (foot[0] + half, foot[1])], width)
    return big


def add_crossbar(big: np.ndarray, rng: random.Random) -> np.ndarray:
    """A crossed 7: a bar across the stem at 45-60% of the height, 35-60% of the height long, tilted up to 8°."""
    mask = big > 127
    x0, y0, x1, y1 = ink_box(mask, level=0)
    h, width = y1 - y0, boundary_width(mask)
    y = y0 + rng.uniform(0.45, 0.6) * h
    x = ink_x(mask, y - width / 2, y + width / 2, (x0 + x1) / 2) + rng.uniform(-0.04, 0.04) * h
    half, tilt = rng.uniform(0.175, 0.3) * h, math.radians(rng.uniform(-8, 8))
    dx, dy = half * math.cos(tilt), half * math.sin(tilt)
    return add_line(big, [(x - dx, y + dy), (x + dx, y - dy)], width)


def add_slash(big: np.ndarray, rng: random.Random) -> np.ndarray:
    """A slashed zero Ø: a line from near the bottom-left corner of its box to near the top-right (one time in five
    the other diagonal), each end up to 10% inside or 15% beyond the box."""
    mask = big > 127
    x0, y0, x1, y1 = ink_box(mask, level=0)
    size = max(x1 - x0, y1 - y0)
    out = lambda: rng.uniform(-0.1, 0.15) * size  # noqa: E731
    start, end = (x0 - out(), y1 + out()), (x1 + out(), y0 - out())
    if rng.random() < 0.2:
        start, end = (x0 - out(), y0 - out()), (x1 + out(), y1 + out())
    return add_line(big, [start, end], boundary_width(mask))


STYLES = {"flag": (1, add_flag), "crossbar": (7, add_crossbar), "slash": (0, add_slash)}  # style: (digit, drawer)


def styled(image: np.ndarray, style: str, rng: random.Random) -> np.ndarray:
    """A uint8 MNIST digit (28, 28) written in a style of STYLES, as the app would prepare it (uint8 (28, 28))."""
    return prepare(STYLES[style][1](enlarge(image), rng)).centred28


def styled_digits(images: torch.Tensor, labels: torch.Tensor, share: float,
                  rng: random.Random) -> tuple[torch.Tensor, torch.Tensor]:
    """A share of the digits of each style's class, written in that style: (uint8 (N, 28, 28), labels (N,))."""
    out, out_labels = [], []
    for style, (digit, _) in STYLES.items():
        index = [i for i in labels.eq(digit).nonzero().flatten().tolist() if rng.random() < share]
        out += [torch.from_numpy(styled(images[i].numpy(), style, rng)) for i in index]
        out_labels += [digit] * len(index)
    return torch.stack(out), torch.tensor(out_labels)
