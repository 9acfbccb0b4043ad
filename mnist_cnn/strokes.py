"""Pen strokes drawn as a person draws on the app's 280×280 canvas: black round-capped lines on white."""
import gzip
import json
import random
from pathlib import Path

from PIL import Image, ImageDraw

CANVAS = 280


def draw_strokes(strokes: list, width: float = 18, size: float = 0.7, origin: tuple = (42, 42),
                 canvas: int = CANVAS) -> Image.Image:
    """Draw strokes given in the unit square, scaled to size·canvas px with its top-left corner at origin."""
    img = Image.new("L", (canvas, canvas), 255)
    draw = ImageDraw.Draw(img)
    scale, r = size * canvas, width / 2
    for stroke in strokes:
        pts = [(origin[0] + x * scale, origin[1] + y * scale) for x, y in stroke]
        if len(pts) > 1:
            draw.line(pts, fill=0, width=round(width), joint="curve")
        for x, y in (pts[0], pts[-1]):  # round caps
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
    return img


def random_drawing(strokes: list, rng: random.Random, canvas: int = CANVAS) -> Image.Image:
    """The strokes as one person might draw them: brush 8–26 px, 40–90% of the canvas, anywhere on it."""
    width = rng.uniform(8, 26)
    size = rng.uniform(0.4, 0.9)
    room = canvas - size * canvas - width  # keep the whole stroke, caps included, on the canvas
    origin = (width / 2 + rng.uniform(0, room), width / 2 + rng.uniform(0, room))
    return draw_strokes(strokes, width, size, origin, canvas)


def load_samples(path: str | Path) -> list[dict]:
    """The samples of a strokes json, gzipped or not: [{"label": int, "strokes": [[[x, y], ...], ...]}, ...]."""
    path = Path(path)
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return json.loads(raw)["samples"]
