"""Small, crisp pictures of one drawing's trip through the network: preprocessing steps, feature maps, fc1, output.

Every picture is built as a numpy array of palette indices (maps via a lookup, text from pre-drawn glyphs), then
becomes one palette PNG: all seven take a few milliseconds. One colour scale throughout: black is exactly 0, warm
colours are positive values, cold colours negative ones.
"""
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mnist_cnn.model import Net
from mnist_cnn.preprocess import INK_SIDE, Prepared, centre_by_mass, centre_of_mass

from .i18n import number, percent, short

# Palette indices 0..15 are page colours; 16..255 hold a colour scale (values, or greys for the input pictures).
BG, TEXT, MUTED, FRAME, MARK = range(5)
GREEN = (0, 184, 92)  # what is picked or found: the chosen map, the ink's box, the most active units
PAGE = [(255, 255, 255), (34, 34, 34), (105, 105, 105), (200, 200, 200), GREEN]
LEVELS = 119  # colour steps on each side of zero
ZERO = 16 + LEVELS  # palette index of the value 0; ZERO - LEVELS .. ZERO + LEVELS run from -max to +max
WARM = [(0, 0, 0), (140, 28, 14), (222, 90, 20), (250, 172, 46), (255, 244, 188)]  # from 0 to +max
COLD = [(0, 0, 0), (18, 52, 136), (40, 114, 214), (128, 188, 248), (214, 238, 255)]  # from 0 to -max
POSITIVE, NEGATIVE = ZERO + LEVELS * 3 // 4, ZERO - LEVELS * 3 // 4  # bar colours in the output chart

PAD, GAP = 8, 4  # margin of every picture and space between maps, in pixels
BAR_W, BAR_H = 120, 8  # colour bar
FILTER_SCALE = 6  # a 3×3 filter is drawn 18×18
TOP_UNITS = 5  # fc1 units marked as the most active
STEP = INK_SIDE  # side of each preprocessing picture (112: 28×28 at 4 pixels per pixel), the ink's as kept


def ramp(anchors: list, n: int) -> np.ndarray:
    """n colours (n, 3) interpolated through evenly spaced anchor colours."""
    anchors = np.array(anchors, dtype=float)
    t = np.linspace(0, len(anchors) - 1, n)
    return np.stack([np.interp(t, np.arange(len(anchors)), anchors[:, c]) for c in range(3)], 1)


def palette(scale: np.ndarray) -> list[int]:
    """A flat 256-colour palette: the page colours, then the 240-colour scale."""
    page = np.zeros((16, 3))
    page[:len(PAGE)] = PAGE
    return np.rint(np.concatenate([page, scale])).astype(np.uint8).ravel().tolist()


COLD_RAMP, WARM_RAMP = ramp(COLD, LEVELS + 1), ramp(WARM, LEVELS + 1)
# -max .. 0 .. +max at indices 16 .. 254; the spare index 255 repeats +max
VALUES = palette(np.concatenate([COLD_RAMP[::-1], WARM_RAMP[1:], WARM_RAMP[-1:]]))
GREYS = palette(ramp([(0, 0, 0), (255, 255, 255)], 240))
GREY = (16 + np.rint(np.arange(256) * 239 / 255)).astype(np.uint8)  # uint8 pixel -> its index in GREYS


def levels(a: np.ndarray, vmax: float) -> np.ndarray:
    """Palette indices of values on the scale -vmax..+vmax; only exact zeros get the zero colour (black)."""
    v = np.clip(np.asarray(a, dtype=np.float32) / vmax, -1, 1)
    return (ZERO + np.sign(v) * np.ceil(np.abs(v) * LEVELS)).astype(np.uint8)


def scale_max(a: np.ndarray) -> float:
    """The largest magnitude in a, or 1 if a is all zeros (then everything shows the zero colour)."""
    m = float(np.abs(a).max())
    return m if m > 0 else 1.0


# Text: Pillow's built-in font (nothing to download), each character drawn once, without anti-aliasing, as a mask.
FONT = ImageFont.load_default(size=12)
ASCENT, DESCENT = FONT.getmetrics()


def glyph(ch: str) -> np.ndarray:
    """Bool mask (ASCENT + DESCENT, advance) of one character."""
    im = Image.new("1", (round(FONT.getlength(ch)), ASCENT + DESCENT))
    draw = ImageDraw.Draw(im)
    draw.fontmode = "1"
    draw.text((0, 0), ch, fill=1, font=FONT)
    return np.array(im, dtype=bool)


def signs(plus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The minus sign and the multiplication sign, which the font lacks, drawn to match its plus sign."""
    bar = plus.sum(1).argmax()  # the row of the plus sign's horizontal stroke
    minus = np.zeros_like(plus)
    minus[bar] = plus[bar]
    cols = np.nonzero(plus.any(0))[0]
    n = len(cols)
    times = np.zeros_like(plus)
    i = np.arange(n)
    times[bar - n // 2 + i, cols[0] + i] = True
    times[bar - n // 2 + i, cols[-1] - i] = True
    return minus, times


GLYPHS = {ch: glyph(ch) for ch in map(chr, range(32, 127))}
GLYPHS["−"], GLYPHS["×"] = signs(GLYPHS["+"])
GLYPHS["\u00a0"] = GLYPHS[" "]  # the no-break space of Spanish percentages (97 %)
_digit_rows = np.nonzero(GLYPHS["0"].any(1))[0]
BASELINE, MIDLINE = _digit_rows.max() + 1, (_digit_rows.min() + _digit_rows.max() + 1) // 2


def marks() -> tuple[np.ndarray, np.ndarray]:
    """A decimal comma and point that read apart: the font's are one pixel each, alike in Spanish's 0,872 and
    English's 0.872. Here the point is a 2×2 dot on the baseline, the comma the same dot with a tail below it."""
    h = ASCENT + DESCENT
    point, comma = np.zeros((h, 4), dtype=bool), np.zeros((h, 4), dtype=bool)
    point[BASELINE - 2:BASELINE, 1:3] = True
    comma[BASELINE - 2:BASELINE, 1:3] = True
    comma[BASELINE, 2] = comma[BASELINE + 1, 1] = True
    return point, comma


GLYPHS["."], GLYPHS[","] = marks()
def width(s: str) -> int:
    """How many pixels s takes when written."""
    return sum(GLYPHS.get(ch, GLYPHS["?"]).shape[1] for ch in s)


def write(pixels: np.ndarray, x: float, y: float, s: str, colour: int = TEXT, anchor: str = "lt") -> None:
    """Write s at (x, y): anchor is l/m/r (left, middle, right) then t/m/b (top, middle of digits, baseline)."""
    masks = [GLYPHS.get(ch, GLYPHS["?"]) for ch in s]
    x = round(x - {"l": 0, "m": width(s) / 2, "r": width(s)}[anchor[0]])
    y = round(y - {"t": 0, "m": MIDLINE, "b": BASELINE}[anchor[1]])
    for m in masks:
        h, w = m.shape
        region = pixels[max(y, 0):y + h, max(x, 0):x + w]  # clipped at the picture's edges
        region[m[max(-y, 0):max(-y, 0) + region.shape[0], max(-x, 0):max(-x, 0) + region.shape[1]]] = colour
        x += w


def frame(pixels: np.ndarray, x0: int, y0: int, x1: int, y1: int, colour: int, width: int = 1) -> None:
    """Outline the rectangle with corners (x0, y0) and (x1, y1), both inside the outline."""
    x0, y0, x1, y1 = (int(round(v)) for v in (x0, y0, x1, y1))
    pixels[y0:y0 + width, x0:x1 + 1] = colour
    pixels[y1 - width + 1:y1 + 1, x0:x1 + 1] = colour
    pixels[y0:y1 + 1, x0:x0 + width] = colour
    pixels[y0:y1 + 1, x1 - width + 1:x1 + 1] = colour


def picture(pixels: np.ndarray, pal: list[int]) -> Image.Image:
    """The palette image of an array of indices (H, W)."""
    im = Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8))  # mode "L" until it gets its palette
    im.putpalette(pal)
    return im


@dataclass(frozen=True)
class Grid:
    """Where the maps of one layer sit in its picture: rows of `cols` cells from (PAD, PAD), `gap` pixels apart."""
    stage: str  # key in the activations dict
    channels: int
    side: int  # map side in the network: 28, 14, 7 (or 1 for fc1's units)
    scale: int  # pixels per map pixel
    cols: int
    lead: int = 0  # room at the left of each cell for the map's filter
    gap: int = GAP

    @property
    def rows(self) -> int:
        return -(-self.channels // self.cols)

    @property
    def cell(self) -> tuple[int, int]:
        return self.lead + self.side * self.scale, self.side * self.scale  # (width, height)

    @property
    def pitch(self) -> tuple[int, int]:
        return self.cell[0] + self.gap, self.cell[1] + self.gap

    @property
    def size(self) -> tuple[int, int]:
        return self.cols * self.pitch[0] - self.gap, self.rows * self.pitch[1] - self.gap

    def origin(self, channel: int) -> tuple[int, int]:
        """Top-left pixel of a channel's cell in the picture."""
        return PAD + (channel % self.cols) * self.pitch[0], PAD + (channel // self.cols) * self.pitch[1]


GRIDS = {
    "act-conv1": Grid("conv1_relu", 32, 28, 2, 8, lead=3 * FILTER_SCALE + 3, gap=10),
    "act-pool1": Grid("pool1", 32, 14, 3, 8),
    "act-conv2": Grid("conv2_relu", 64, 14, 3, 8),
    "act-pool2": Grid("pool2", 64, 7, 6, 8),
}
UNITS = Grid("fc1_relu", 128, 1, 20, 16)  # fc1's 128 units as 8 rows of 16 squares
PANELS = ("input28", *GRIDS, "act-fc1", "act-output")  # the panels' element ids, in the order the data flows
# the panels whose maps open their filter when picked -> that filter's layer
MAP_LAYERS = {panel: grid.stage.removesuffix("_relu") for panel, grid in GRIDS.items() if grid.stage.endswith("_relu")}


def tile(index: np.ndarray, grid: Grid, filters: np.ndarray | None = None) -> np.ndarray:
    """Palette indices (C, side, side) -> the grid's pixels: maps upscaled by repetition (no blur), row by row."""
    (w, h), (pw, ph) = grid.cell, grid.pitch
    cells = np.full((grid.rows * grid.cols, ph, pw), BG, dtype=np.uint8)
    cells[:grid.channels, :h, grid.lead:w] = index.repeat(grid.scale, axis=1).repeat(grid.scale, axis=2)
    if filters is not None:  # (C, fs, fs), centred vertically beside each map
        fs = filters.shape[1]
        top = (h - fs) // 2
        cells[:grid.channels, top:top + fs, :fs] = filters
    cells = cells.reshape(grid.rows, grid.cols, ph, pw).transpose(0, 2, 1, 3)
    return cells.reshape(grid.rows * ph, grid.cols * pw)[:-grid.gap, :-grid.gap]


def colour_bar(pixels: np.ndarray, x: int, y: int, vmax: float, signed: bool, label: str = "",
               lang: str = "en") -> None:
    """A colour bar at (x, y) from 0 (or -vmax) to vmax, its values under it, its name (if any) on its left."""
    pixels[y:y + BAR_H, x:x + BAR_W] = levels(np.linspace(-1 if signed else 0, 1, BAR_W), 1.0)
    frame(pixels, x - 1, y - 1, x + BAR_W, y + BAR_H, FRAME)
    if label:
        write(pixels, x - 6, y + BAR_H // 2, label, MUTED, "rm")
    below = y + BAR_H + 2
    write(pixels, x, below, short(-vmax, lang) if signed else "0", MUTED, "lt")
    if signed:
        write(pixels, x + BAR_W // 2, below, "0", MUTED, "mt")
    write(pixels, x + BAR_W, below, f"+{short(vmax, lang)}" if signed else short(vmax, lang), MUTED, "rt")


def maps_picture(acts: np.ndarray, grid: Grid, weights: np.ndarray | None = None,
                 marked: int | None = None, lang: str = "en") -> Image.Image:
    """All maps of a layer on one shared scale (0 is black), with each conv1 filter (3×3) left of its map, and the
    marked map (if any) framed."""
    (gw, gh), vmax = grid.size, scale_max(acts)
    bar_y = PAD + gh + 10
    pixels = np.full((bar_y + BAR_H + 20, gw + 2 * PAD), BG, dtype=np.uint8)
    filters = None
    if weights is not None:
        wmax = scale_max(weights)
        filters = levels(weights, wmax).repeat(FILTER_SCALE, axis=1).repeat(FILTER_SCALE, axis=2)
    pixels[PAD:PAD + gh, PAD:PAD + gw] = tile(levels(acts, vmax), grid, filters)
    if marked is not None:  # in the gap around the cell, which is at least 4 px wide
        (x, y), (w, h) = grid.origin(marked), grid.cell
        frame(pixels, x - 2, y - 2, x + w + 1, y + h + 1, MARK, width=2)
    bar_x = pixels.shape[1] - PAD - BAR_W - 2
    if weights is not None:  # two bars, each named by the shape of what it colours
        colour_bar(pixels, PAD + 40, bar_y, wmax, True, "3×3", lang)
        colour_bar(pixels, bar_x, bar_y, vmax, False, f"{grid.side}×{grid.side}", lang)
    else:
        colour_bar(pixels, bar_x, bar_y, vmax, False, lang=lang)
    return picture(pixels, VALUES)


def units_picture(units: np.ndarray, lang: str = "en") -> Image.Image:
    """fc1's units (after ReLU) as squares on the shared scale, the most active framed and listed with their values."""
    (gw, gh), vmax = UNITS.size, scale_max(units)
    list_y = PAD + gh + 10
    bar_y = list_y + 22
    pixels = np.full((bar_y + BAR_H + 20, gw + 2 * PAD), BG, dtype=np.uint8)
    pixels[PAD:PAD + gh, PAD:PAD + gw] = tile(levels(units, vmax)[:, None, None], UNITS)
    top = [int(i) for i in np.argsort(-units, kind="stable")[:TOP_UNITS] if units[i] > 0]
    w, h = UNITS.cell
    for i in top:
        x, y = UNITS.origin(i)
        frame(pixels, x - 2, y - 2, x + w + 1, y + h + 1, MARK, width=2)
    write(pixels, PAD, list_y, "   ".join(f"#{i}: {number(units[i], lang, 2)}" for i in top))
    colour_bar(pixels, pixels.shape[1] - PAD - BAR_W - 2, bar_y, vmax, False, lang=lang)
    return picture(pixels, VALUES)


def output_picture(logits: np.ndarray, probs: np.ndarray, lang: str = "en") -> Image.Image:
    """Bars for the 10 logits (from a zero line) and the 10 probabilities (0 to 1), the predicted digit marked."""
    pitch, bar, height = 26, 18, 110
    chart = 10 * pitch
    lo, hi = min(0.0, float(logits.min())), max(0.0, float(logits.max()))
    span = (hi - lo) or 1.0
    ends = [short(v, lang) for v in (lo, hi) if abs(v) > 0.1 * span]  # the scale's labels left of the logits
    left = PAD + max([width(s) for s in ends] + [width("0")]) + 6  # room for the widest, its minus sign included
    right = left + chart + 56
    top = PAD + 34  # under the titles, with room between for a bar's percentage (a 99 % bar reaches the top)
    base = top + height  # y of the probabilities' 0, under the bars
    pixels = np.full((base + 26 + PAD, right + chart + PAD), BG, dtype=np.uint8)

    def y_of(v: float) -> int:  # a logit's height in the left chart
        return top + round((hi - v) / span * height)

    guess = int(np.argmax(probs))
    for x0, title in ((left, "logits"), (right, "softmax")):
        write(pixels, x0 + chart // 2, PAD, title, TEXT, "mt")
        frame(pixels, x0 + guess * pitch, base + 4, x0 + (guess + 1) * pitch - 1, base + 21, MARK, width=2)
        for d in range(10):
            write(pixels, x0 + d * pitch + pitch // 2, base + 7, str(d), MARK if d == guess else TEXT, "mt")
    for d in range(10):
        x = left + d * pitch + (pitch - bar) // 2
        y0, y1 = sorted((y_of(logits[d]), y_of(0.0)))
        pixels[y0:y1 + 1, x:x + bar] = POSITIVE if logits[d] > 0 else NEGATIVE
        x = right + d * pitch + (pitch - bar) // 2
        pixels[base - round(probs[d] * height):base + 1, x:x + bar] = POSITIVE
        if probs[d] >= 0.05:
            write(pixels, x + bar / 2, base - round(probs[d] * height) - 3, percent(probs[d], lang), TEXT, "mb")
    pixels[y_of(0.0), left - 4:left + chart] = MUTED
    write(pixels, left - 6, y_of(0.0), "0", MUTED, "rm")
    for v in (lo, hi):
        if abs(v) > 0.1 * span:
            write(pixels, left - 6, y_of(v), short(v, lang), MUTED, "rm")
    pixels[base + 1, right - 4:right + chart] = MUTED
    pixels[top, right:right + chart] = FRAME  # the line of probability 1
    write(pixels, right - 6, base, "0", MUTED, "rm")
    write(pixels, right - 6, top, "1", MUTED, "rm")
    return picture(pixels, VALUES)


def unmoved(p: Prepared) -> bool:
    """True when the 28×28 input is the prepared digit itself (a drawing's, centred by mass, or an MNIST digit as it
    is), not what the what-if sliders made of it."""
    return bool(np.array_equal(p.centred28, p.ink) or np.array_equal(p.centred28, centre_by_mass(p.digit20)))


def steps_picture(p: Prepared) -> Image.Image:
    """The three preprocessing steps side by side: the ink and its box, the 20×20 digit, the centred 28×28."""
    ink, digit20, centred28 = p.ink, p.digit20, p.centred28
    arrow, s = 30, STEP // 28
    x1, x2, x3 = PAD, PAD + STEP + arrow, PAD + 2 * (STEP + arrow)
    top = PAD + 20
    pixels = np.full((top + STEP + PAD, x3 + STEP + PAD), BG, dtype=np.uint8)
    # 1: the ink found (kept at most STEP px a side: a smaller one is enlarged) to fit STEP×STEP, and its box
    h, w = ink.shape
    f = STEP / max(h, w)
    small = np.asarray(Image.fromarray(ink).resize((max(1, round(w * f)), max(1, round(h * f))),
                                                   Image.Resampling.BOX, reducing_gap=2.0))
    sy, sx = top + (STEP - small.shape[0]) // 2, x1 + (STEP - small.shape[1]) // 2
    pixels[top:top + STEP, x1:x1 + STEP] = GREY[0]
    pixels[sy:sy + small.shape[0], sx:sx + small.shape[1]] = GREY[small]
    bx0, by0, bx1, by1 = p.box
    f *= p.scale  # the box is in the px of the image the ink was found in
    frame(pixels, sx + bx0 * f, sy + by0 * f, min(sx + bx1 * f, x1 + STEP) - 1, min(sy + by1 * f, top + STEP) - 1,
          MARK)
    # 2: the digit with its longer side 20 px, in the middle of a 20×20 square
    dh, dw = digit20.shape
    y2, x2s = top + 4 * s, x2 + 4 * s
    pixels[y2:y2 + 20 * s, x2s:x2s + 20 * s] = GREY[0]
    oy, ox = (20 - dh) // 2 * s, (20 - dw) // 2 * s
    pixels[y2 + oy:y2 + oy + dh * s, x2s + ox:x2s + ox + dw * s] = GREY[digit20].repeat(s, 0).repeat(s, 1)
    # 3: what the network sees, with where the digit was copied in (unless the sliders changed it since) and its
    # centre of mass (+), if any ink is left
    pixels[top:top + STEP, x3:x3 + STEP] = GREY[centred28].repeat(s, 0).repeat(s, 1)
    if unmoved(p):
        ys, xs = np.nonzero(centred28)
        dys, dxs = np.nonzero(digit20)
        py, px = ys.min() - dys.min(), xs.min() - dxs.min()
        frame(pixels, x3 + px * s, top + py * s, x3 + (px + dw) * s - 1, top + (py + dh) * s - 1, MARK)
    if centred28.any():
        my, mx = centre_of_mass(centred28)
        cy, cx = top + round(my * s), x3 + round(mx * s)
        pixels[cy - 1:cy + 1, cx - 5:cx + 5] = MARK
        pixels[cy - 5:cy + 5, cx - 1:cx + 1] = MARK
    for x, label in ((x1, f"1   {bx1 - bx0}×{by1 - by0}"), (x2, f"2   {dw}×{dh}"), (x3, "3   28×28")):
        write(pixels, x, PAD, label)
    mid = top + STEP // 2
    for x in (x1 + STEP, x2 + STEP):
        pixels[mid - 1:mid + 1, x + 6:x + arrow - 8] = MUTED
        for i in range(6):  # arrow head
            pixels[mid - 6 + i:mid + 6 - i, x + arrow - 12 + i] = MUTED
    return picture(pixels, GREYS)


def grid_picture(panel: str, activations: dict, model: Net, chosen: tuple[str, int] | None = None,
                 lang: str = "en") -> Image.Image:
    """The picture of a panel of maps (a key of GRIDS) from one input's activations (tensors without the batch
    dimension, or their arrays); the map of the chosen (layer, channel), if it is one of this panel's, is framed."""
    grid = GRIDS[panel]
    weights = model.conv1.weight.detach().cpu().numpy()[:, 0] if panel == "act-conv1" else None  # (32, 3, 3)
    marked = chosen[1] if chosen is not None and grid.stage == f"{chosen[0]}_relu" else None
    return maps_picture(np.asarray(activations[grid.stage]), grid, weights, marked, lang)


def panels(prepared: Prepared, activations: dict, model: Net, chosen: tuple[str, int] | None = None,
           lang: str = "en") -> dict[str, Image.Image]:
    """One picture per panel for a prepared drawing, its activations (no batch dimension) and the model; the map of
    the chosen (layer, channel), if any, is framed."""
    acts = {k: v.detach().cpu().numpy() for k, v in activations.items()}
    out = {"input28": steps_picture(prepared)}
    for panel in GRIDS:
        out[panel] = grid_picture(panel, acts, model, chosen, lang)
    out["act-fc1"] = units_picture(acts["fc1_relu"], lang)
    out["act-output"] = output_picture(acts["logits"], np.exp(acts["log_probs"]), lang)
    return out
