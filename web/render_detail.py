"""Pictures and small HTML tables for the close-up panels: one filter's convolution worked out, the saliency
overlay, the softmax worked out, and the gallery of misread test digits. Text comes in English or Spanish.
"""
import numpy as np
import torch
from PIL import Image, ImageDraw

from mnist_cnn.data import denormalise

from .assets import static
from .i18n import number, t
from .render import GREEN

# Small stylesheet for the tables below (web/static/detail.css); the app passes it to launch(css=...).
DETAIL_CSS = static("detail.css")

PAPER, PAD_GREY = (255, 255, 255), (200, 200, 200)
UP, DOWN = np.array([215, 48, 39]), np.array([33, 102, 172])  # red: pushed the class up; blue: pushed it down


def grid_html(a: np.ndarray, caption: str, lang: str, pad: np.ndarray | None = None) -> str:
    """A small matrix as an HTML table; cells where pad is True are marked as padding."""
    rows = []
    for i, row in enumerate(a):
        cells = "".join(f'<td{" class=kd-pad" if pad is not None and pad[i, j] else ""}>{number(v, lang)}</td>'
                        for j, v in enumerate(row))
        rows.append(f"<tr>{cells}</tr>")
    return f'<table class="kd-grid"><caption>{caption}</caption>{"".join(rows)}</table>'


def padding_mask(detail: dict) -> np.ndarray:
    """(3, 3) True where the patch lies outside the input (in the padding)."""
    h, w = detail["input_plane"].shape
    r = detail["row"] - detail["padding"] + np.arange(3)
    c = detail["col"] - detail["padding"] + np.arange(3)
    return ~(((r >= 0) & (r < h))[:, None] & ((c >= 0) & (c < w))[None, :])


def kernel_html(detail: dict, lang: str = "en") -> str:
    """kernel_detail as HTML: weights × patch = products, then sum + bias → ReLU = the map's value."""
    d = detail
    conv2 = d["layer"] == "conv2"
    k = d["top_channel"] if conv2 else 0  # the input channel whose 3×3 slice is shown
    pad = padding_mask(d)
    title = t("kernel.title", lang, layer=d["layer"], channel=d["channel"], row=d["row"], col=d["col"])
    intro = t("kernel.input.conv2", lang, n=d["in_channels"], top=k) if conv2 else t("kernel.input.conv1", lang)
    if pad.any():
        intro += " " + t("kernel.padding", lang)
    parts = [f"<p><b>{title}</b></p><p>{intro}</p>",
             '<div class="kd-row">', grid_html(d["weights"][k], t("kernel.weights", lang), lang),
             '<span class="kd-op">×</span>', grid_html(d["patch"][k], t("kernel.patch", lang), lang, pad),
             '<span class="kd-op">=</span>', grid_html(d["products"][k], t("kernel.products", lang), lang, pad),
             "</div>"]
    if conv2:
        rows = d["partial_sums"].reshape(-1, 8)  # 32 input channels in 4 rows of 8
        cells = "".join("<tr>" + "".join(f'<td{" class=kd-top" if 8 * i + j == k else ""} title="{8 * i + j}">'
                                         f"{number(v, lang)}</td>" for j, v in enumerate(row)) + "</tr>"
                        for i, row in enumerate(rows))
        partial = number(d['partial_sums'][k], lang)
        parts.append(f"<p>{t('kernel.sum', lang)} ({t('kernel.in_channel', lang)} {k}): {partial}. "
                     f"{t('kernel.partials', lang)}</p><table class=\"kd-grid\">{cells}</table>")
    total = t("kernel.sum.channels", lang, n=d["in_channels"]) if conv2 else t("kernel.sum", lang)
    n = {k: number(d[k], lang) for k in ("sum", "bias", "pre_relu", "value", "activation")}
    parts.append(f"<p>{total} = {n['sum']}; + {t('kernel.bias', lang)} {n['bias']} = {n['pre_relu']}; "
                 f"ReLU → <b>{n['value']}</b> = {t('kernel.check', lang)} ({n['activation']}). "
                 f"{t('kernel.relu', lang)}</p>")
    return f'<div class="kd">{"".join(parts)}</div>'


def softmax_html(steps: dict, lang: str = "en") -> str:
    """softmax_steps as an HTML table, one row per digit, with the max shift, the sum and why dim=1."""
    top = int(steps["probs"].argmax())
    head = "".join(f"<th>{h}</th>" for h in (t("softmax.digit", lang), "logit z", "z − max", "exp(z − max)",
                                             t("softmax.prob", lang), "log p"))
    rows = "".join(
        f'<tr{" class=sm-top" if d == top else ""}><td>{d}</td>'
        + "".join(f"<td>{number(steps[k][d], lang)}</td>" for k in ("logits", "shifted", "exp", "probs", "log_probs"))
        + "</tr>" for d in range(10))
    return (f'<div class="sm"><p>{t("softmax.shift", lang, max=number(steps["max"], lang))}</p>'
            f'<table class="sm-table"><tr>{head}</tr>{rows}</table>'
            f'<p>{t("softmax.sum", lang, sum=number(steps["sum"], lang))} {t("softmax.log", lang)}</p>'
            f'<p>{t("softmax.dim", lang)}</p></div>')


def saliency_caption(result: dict, lang: str = "en") -> str:
    """The one sentence under the saliency picture."""
    return t("saliency.caption", lang, digit=result["target"])


def ink(x: torch.Tensor) -> np.ndarray:
    """(28, 28) ink in [0, 1] of a normalised (1, 1, 28, 28) input."""
    return denormalise(x.detach()[0, 0].double()).clamp(0, 1).numpy()


def saliency_picture(x: torch.Tensor, result: dict, scale: int = 8) -> Image.Image:
    """The input as pale grey ink on white, tinted red where a pixel pushed the class up and blue where down."""
    base = 255 - 90 * ink(x)[..., None]  # pale ink, so that the colours stay readable on top of it
    v = result["map"]
    vmax = float(np.abs(v).max()) or 1.0
    a = ((np.abs(v) / vmax) ** 0.6)[..., None]  # (28, 28, 1) in [0, 1]; the power lifts faint pixels into view
    colour = np.where(v[..., None] > 0, UP, DOWN)
    rgb = np.rint(base * (1 - a) + colour * a).astype(np.uint8)
    return Image.fromarray(rgb).resize((28 * scale, 28 * scale), Image.Resampling.NEAREST)


def plane_picture(plane: np.ndarray, cell: int, mark: tuple, size: int, frame: tuple) -> Image.Image:
    """A map in greys (0 black, its max white) in a 1-cell frame, with a green box of size cells at mark = (r0, c0)."""
    h, w = plane.shape
    top = float(plane.max())
    grey = np.clip(plane / top if top > 0 else np.zeros_like(plane), 0, 1)
    a = np.full((h + 2, w + 2, 3), frame, dtype=np.uint8)
    a[1:-1, 1:-1] = np.rint(grey * 255).astype(np.uint8)[..., None]
    img = Image.fromarray(a).resize(((w + 2) * cell, (h + 2) * cell), Image.Resampling.NEAREST)
    r0, c0 = mark[0] + 1, mark[1] + 1  # +1 for the padding frame
    ImageDraw.Draw(img).rectangle([c0 * cell, r0 * cell, (c0 + size) * cell - 1, (r0 + size) * cell - 1],
                                  outline=GREEN, width=2)
    return img


def kernel_picture(detail: dict, side: int = 240) -> Image.Image:
    """Left: the input with the 3×3 patch boxed (the padding frame in grey); right: the map with its pixel boxed."""
    plane, fmap = detail["input_plane"], detail["map"]
    if detail["layer"] == "conv1":
        plane = denormalise(plane)  # back to ink in [0, 1], so that the digit looks like itself
    cell = side // (plane.shape[0] + 2)
    pad = detail["padding"]
    left = plane_picture(plane, cell, (detail["row"] - pad, detail["col"] - pad), 3, PAD_GREY)
    right = plane_picture(fmap, cell, (detail["row"], detail["col"]), 1, PAPER)  # the map has no padding
    out = Image.new("RGB", (left.width + cell + right.width, left.height), PAPER)
    out.paste(left, (0, 0))
    out.paste(right, (left.width + cell, 0))
    return out


def mistakes_intro(n: int, total: int, lang: str = "en") -> str:
    """The sentence above the gallery, with thousands written the language's way (10,000 / 10 000)."""
    return t("mistakes.intro", lang, n=n, total=total)
