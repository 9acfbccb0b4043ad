"""Pictures and short HTML for the experiments: the conv1 sandbox, the shift curve, occlusion and the patches that
excite a filter most. Pictures hold no words (only shapes and numbers); the HTML comes in English or Spanish.
"""
import html

import numpy as np
from PIL import Image, ImageDraw

from mnist_cnn.experiments import DIRECTIONS, tolerance
from mnist_cnn.filter_top import stored

from .i18n import MINUS, integer, number, percent, t
from .render import BG, GAP, GREY, GREYS, PAD, VALUES, Grid, colour_bar, levels, picture, scale_max, tile, write
from .render_detail import saliency_picture

CELL = 6  # pixels per input pixel in the sandbox: 28×28 becomes 168×168 and a map keeps its true size beside it
PATCH_SIDE = 48  # a top patch is enlarged to about this many pixels a side
OCCLUDER = (64, 64, 64)  # the patch's outline, dark grey: it stands out on the pale ink, the red and the blue


def palette_rgb(pal: list[int]) -> np.ndarray:
    """A flat palette as a (256, 3) lookup table."""
    return np.array(pal, dtype=np.uint8).reshape(256, 3)


VALUES_RGB, GREYS_RGB = palette_rgb(VALUES), palette_rgb(GREYS)


def sandbox_picture(result: dict, cell: int = CELL, lang: str = "en") -> Image.Image:
    """The 28×28 input and the chosen conv1 map at its true size, side by side at the same pixels per pixel."""
    # the input in greys as the app shows it, the map on the value scale (0 black), upscaled by repetition
    side, fmap = result["side"], result["map"]
    w_in, w_map = 28 * cell, side * cell
    top, x_map = PAD + 18, PAD + w_in + 3 * GAP * 2
    bar_y = top + max(w_in, w_map) + 10
    pixels = np.full((bar_y + 30, x_map + max(w_map, 130) + PAD), BG, dtype=np.uint8)
    ink = GREY[np.rint(result["input"] * 255).astype(np.uint8)]
    pixels[top:top + w_in, PAD:PAD + w_in] = ink.repeat(cell, 0).repeat(cell, 1)
    vmax = scale_max(fmap)
    pixels[top:top + w_map, x_map:x_map + w_map] = levels(fmap, vmax).repeat(cell, 0).repeat(cell, 1)
    write(pixels, PAD, PAD, "28×28")
    write(pixels, x_map, PAD, f"conv1 #{result['channel']}  {side}×{side}")
    colour_bar(pixels, x_map, bar_y, vmax, False, lang=lang)
    rgb = VALUES_RGB[pixels]
    rgb[top:top + w_in, PAD:PAD + w_in] = GREYS_RGB[pixels[top:top + w_in, PAD:PAD + w_in]]
    return Image.fromarray(rgb)


def shape(dims: tuple) -> str:
    """A tensor's shape without the batch, as the app's texts write it: 32 × 28 × 28."""
    return " × ".join(str(d) for d in dims)


def sandbox_html(result: dict, lang: str = "en") -> str:
    """The filled formula, the shape chain the seed's code computes, and whether fc1 fits (or PyTorch's error)."""
    r = result
    p, s, k, n = r["padding"], r["stride"], r["kernel"], r["side"]
    formula = f"⌊(28 + 2·{p} − {k})/{s}⌋ + 1 = {n}"
    pool = f"maxpool {r['pool']}×{r['pool']}, s={r['pool_stride']}"
    names = {"input": t("sandbox.input", lang), "conv1": f"conv1 (p={p}, s={s}) + ReLU", "pool1": pool,
             "conv2": "conv2 (p=1, s=1) + ReLU", "pool2": pool}
    chain = " → ".join(f"{names[k]}: <b>{shape(v)}</b>" for k, v in r["shapes"].items() if k in names)
    c, h, w = r["shapes"]["pool2"]
    flat = f"flatten: <b>{h} · {w} · {c} = {integer(r['flatten'], lang)}</b>"
    if r["fits"]:
        verdict = f"<p>{t('sandbox.fits', lang, n=r['flatten'])}</p>"
    else:
        verdict = (f"<p>{t('sandbox.mismatch', lang, n=r['flatten'], expected=r['expected'])}</p>"
                   f"<pre>RuntimeError: {html.escape(r['error'])}</pre><p>{t('sandbox.why', lang)}</p>")
    return (f'<div class="sandbox"><p>{t("sandbox.formula", lang)} <b>{formula}</b></p>'
            f"<p>{t('sandbox.chain', lang)}<br>{chain} → {flat}</p>{verdict}</div>")


def signed(v: int, lang: str) -> str:
    """A shift in px with its sign: −3, 0, +4."""
    s = number(v, lang, 0)
    return s if v <= 0 or s.startswith(MINUS) else f"+{s}"


def shift_html(curve: list[dict], lang: str = "en") -> str:
    """One or two sentences on the shift curve with this drawing's numbers (its lowest and highest, as the curve
    shows them), and why the app centres drawings."""
    digit = curve[0]["digit"]
    p0 = next(r["probability"] for r in curve if r["shift"] == 0)
    # the lowest and the highest both: moved, a weak reading can rise, and the text must say what its curve shows
    low, high = (f(r["probability"] for r in curve) for f in (min, max))
    spans = [tolerance(curve, d) for d in DIRECTIONS]
    values = {"digit": digit, "p0": percent(p0, lang), "low": percent(low, lang), "high": percent(high, lang),
              "half": percent(0.5, lang)}
    if None in spans:
        first = t("what-if.shift.low", lang, **values)
    else:
        (left, right), (up, down) = spans
        first = t("what-if.shift", lang, left=signed(left, lang), right=signed(right, lang), up=signed(up, lang),
                  down=signed(down, lang), **values)
    return f'<div class="what-if"><p>{first} {t("what-if.why", lang)}</p></div>'


def occlusion_picture(result: dict, x, scale: int = 8) -> Image.Image:
    """The occlusion map in the saliency overlay's style, the patch outlined in dark grey where covering hurts most
    (scale px per input px: 8 or more, for an outline that can be seen)."""
    # red: covering there lowers the class's probability; blue: raises it
    img = saliency_picture(x, result, scale)
    (r, c), p = result["worst"], result["patch"]
    if result["worst_drop"] > 0:
        ImageDraw.Draw(img).rectangle([c * scale, r * scale, (c + p) * scale - 1, (r + p) * scale - 1],
                                      outline=OCCLUDER, width=max(1, scale // 3))
    return img


def occlusion_html(result: dict, lang: str = "en") -> str:
    """What covering did to this drawing, and why occlusion and gradient × input saliency differ."""
    r = result
    if r["worst_drop"] > 0:
        first = t("occlusion.text", lang, patch=r["patch"], digit=r["target"], before=percent(r["probability"], lang),
                  after=percent(r["probability"] - r["worst_drop"], lang))
    else:
        first = t("occlusion.none", lang, digit=r["target"])
    return f'<div class="occlusion"><p>{first}</p><p>{t("occlusion.versus", lang)}</p></div>'


def filter_top_picture(patches: list[np.ndarray], cols: int = 6, side: int = PATCH_SIDE) -> Image.Image:
    """The patches (uint8, white ink on black, all one size) in a grid, each enlarged crisply by repetition."""
    size = patches[0].shape[0]
    grid = Grid("", len(patches), size, max(1, side // size), min(cols, len(patches)))
    gw, gh = grid.size
    pixels = np.full((gh + 2 * PAD, gw + 2 * PAD), BG, dtype=np.uint8)
    pixels[PAD:PAD + gh, PAD:PAD + gw] = tile(GREY[np.stack(patches)], grid)
    return picture(pixels, GREYS)


def filter_top_html(record: dict, layer: str, channel: int, lang: str = "en", blank: bool = False) -> str:
    """The sentence under the top patches: how many, from where, and the receptive field they are cropped to; and
    for a filter whose top patches are all blank paper (blank), why they are black."""
    rows = stored(record, layer, channel)
    size = record["field"][layer][0]
    caption = t("filter-top.caption", lang, n=len(rows), layer=layer, channel=channel, size=size,
                total=record["digits"], high=number(rows[0]["activation"], lang, 2),
                low=number(rows[-1]["activation"], lang, 2))
    why = f"<p>{t('filter-top.blank', lang)}</p>" if blank else ""
    return f'<div class="filter-top"><p>{caption}</p>{why}</div>'


def filters_picture(weights: np.ndarray, scale: int = 12, lang: str = "en") -> Image.Image:
    """conv1's 32 filters (32, 3, 3) as 3×3 squares on one diverging scale (blue negative, orange positive, black 0),
    with the scale's bar under them."""
    grid = Grid("", len(weights), weights.shape[1], scale, 8, gap=GAP + 2)
    (gw, gh), vmax = grid.size, scale_max(weights)
    pixels = np.full((PAD + gh + 10 + 8 + 20, max(gw + 2 * PAD, 200)), BG, dtype=np.uint8)
    pixels[PAD:PAD + gh, PAD:PAD + gw] = tile(levels(weights, vmax), grid)
    colour_bar(pixels, PAD + 40, PAD + gh + 10, vmax, True, "3×3", lang)
    return picture(pixels, VALUES)
