"""What the page shows, keyed by element id: one reading's prediction, panels and close-ups in the page's language,
an emptied page, a status sentence. app.py hands these to Gradio as they are."""
import html

import numpy as np
import torch
from PIL import Image

from mnist_cnn.analysis import kernel_detail, saliency, softmax_steps
from mnist_cnn.errors import BlankImageError, InputError
from mnist_cnn.experiments import DIRECTIONS, SHIFTS, erased, occlusion, sandbox, shift_curve
from mnist_cnn.filter_top import top_patches
from mnist_cnn.model import Net
from mnist_cnn.own_model import PER_DIGIT
from mnist_cnn.pipeline import Reading, activations, confidences, read_prepared
from mnist_cnn.preprocess import Prepared

from . import plots, render
from .i18n import TEXTS, bilingual, percent, sentence, t
from .render_detail import kernel_html, kernel_picture, saliency_caption, saliency_picture, softmax_html
from .render_experiments import (
    filter_top_html,
    filter_top_picture,
    filters_picture,
    occlusion_html,
    occlusion_picture,
    sandbox_html,
    sandbox_picture,
    shift_html,
)
from .widgets import choices, digit_buttons, figure

CLOSE_UP = ("kernel-detail", "saliency", "softmax-steps")  # the "Look closer" part, under the panels
READING = ("prediction", "unsure", *render.PANELS, *CLOSE_UP, "status")  # every output one reading fills
UNSURE = 2.0  # the top two are "close" when the first is less than twice as likely as the second
LAYER_NAMES = {grid.stage: grid.stage.removesuffix("_relu") for grid in render.GRIDS.values()}
TEST_DIGITS = 10_000  # the MNIST test split: what the training snapshots were measured on, all of it
OCCLUSION_SCALE = 8  # screen px per input px: the occlusion map at 224 px, its square's outline visible
ERASED_SAID = BlankImageError("error.erased")  # the what-if sliders erased the drawing: said as a blank page is


def erased_drawing(p: Prepared) -> bool:
    """True when the what-if sliders erased the drawing: its input, as they changed it, keeps less than a share of
    the ink the prepared digit had (experiments.ERASED). A prepared digit itself always has ink enough to be read."""
    return not render.unmoved(p) and erased(p.tensor, float(p.digit20.max()) / 255)


def strongest(acts: dict, stage: str) -> int:
    """The channel of a stage (e.g. "conv1_relu") whose map has the largest value."""
    return int(acts[stage].amax((1, 2)).argmax())


def maps_html(panel: str, image, acts: dict, lang: str) -> str:
    """A panel of maps: its picture with a button over each map (when its maps open their filter) and its alt text."""
    grid = render.GRIDS[panel]
    layer = LAYER_NAMES[grid.stage]
    alt = t("alt.maps", lang, layer=layer, n=grid.channels, side=grid.side, top=strongest(acts, grid.stage))
    if panel not in render.MAP_LAYERS:
        return figure(image, alt)
    (w, h) = grid.cell
    cells = [((*grid.origin(c), w, h), t("alt.map", lang, layer=layer, channel=c), c) for c in range(grid.channels)]
    return choices(image, alt, cells)


def panel_html(panel: str, image, reading: Reading, lang: str) -> str:
    """One panel's picture as the page shows it, with an alt text that carries this reading's result."""
    acts, p = reading.activations, reading.prepared
    if panel in render.GRIDS:
        return maps_html(panel, image, acts, lang)
    if panel == "input28":
        x0, y0, x1, y1 = p.box
        # a moved or erased input is not the scaled digit any more: its alt text says what it is instead
        key = ("alt.input28" if render.unmoved(p) else "alt.input28.erased" if erased_drawing(p)
               else "alt.input28.moved")
        return figure(image, t(key, lang, w=x1 - x0, h=y1 - y0, dw=p.digit20.shape[1], dh=p.digit20.shape[0]))
    if panel == "act-fc1":
        units = acts["fc1_relu"]
        return figure(image, t("alt.units", lang, active=int((units > 0).sum()), top=int(units.argmax())))
    first, second = reading.probs.topk(2).indices.tolist()
    return figure(image, t("alt.output", lang, digit=first, p=percent(float(reading.probs[first]), lang),
                           second=second, q=percent(float(reading.probs[second]), lang)))


def kernel_view(model: Net, x: torch.Tensor, chosen: tuple[str, int], acts: dict, lang: str) -> str:
    """The chosen filter (layer, channel) worked out on input x with its activations acts (no batch dimension)."""
    detail = kernel_detail(model, x, *chosen, acts)
    alt = t("alt.kernel", lang, layer=chosen[0], channel=chosen[1])
    return figure(kernel_picture(detail, side=180), alt, bilingual(kernel_html, detail))


def unsure_html(probs: torch.Tensor, lang: str) -> str:
    """When the top two digits are close (less than UNSURE to 1): "1 or 7?", both probabilities and the stroke to
    look at; otherwise nothing. The prediction above is never hidden."""
    (pa, pb), (a, b) = probs.topk(2)
    if float(pa) >= UNSURE * float(pb):
        return ""
    a, b = int(a), int(b)
    pair = f"unsure.{min(a, b)}-{max(a, b)}"
    hint = t(pair if pair in TEXTS["en"] else "unsure.hint", lang)
    said = t("unsure.text", lang, a=a, b=b, pa=percent(float(pa), lang), pb=percent(float(pb), lang), hint=hint)
    return f'<div class="unsure"><b>{t("unsure.title", lang, a=a, b=b)}</b> {said}</div>'


def reading_view(model: Net, reading: Reading, chosen: tuple[str, int] | None, lang: str) -> dict:
    """Every output a reading fills, by element id: the prediction, the unsure note, the panels and close-ups. An
    input the sliders erased is not read (the rule for a blank page): only what is left of it is shown, and why."""
    acts = reading.activations
    if erased_drawing(reading.prepared):
        steps = render.steps_picture(reading.prepared)
        return {**blank_view(ERASED_SAID, lang), "input28": panel_html("input28", steps, reading, lang)}
    if chosen is None:  # before any map is picked: the conv1 filter whose map is strongest
        chosen = ("conv1", strongest(acts, "conv1_relu"))
    pictures = render.panels(reading.prepared, acts, model, chosen, lang)  # the chosen map framed
    x = reading.prepared.tensor
    why = saliency(model, x)  # for the predicted class
    return {
        "prediction": confidences(reading),
        "unsure": unsure_html(reading.probs, lang),
        **{panel: panel_html(panel, pictures[panel], reading, lang) for panel in render.PANELS},
        "kernel-detail": kernel_view(model, x, chosen, acts, lang),
        "saliency": figure(saliency_picture(x, why, scale=1), t("alt.saliency", lang, digit=why["target"]),
                           bilingual(saliency_caption, why)),  # sent at 28×28: the page's CSS scales it up
        "softmax-steps": bilingual(softmax_html, softmax_steps(acts["logits"])),
        "status": "",
    }


def picked_view(model: Net, x: torch.Tensor, chosen: tuple[str, int], lang: str) -> dict:
    """After a map is picked: its filter worked out, and the panels of maps again with the picked one framed."""
    acts = activations(model, x)
    out = {"kernel-detail": kernel_view(model, x, chosen, acts, lang)}
    arrays = {k: v.numpy() for k, v in acts.items()}
    for panel in render.MAP_LAYERS:
        out[panel] = maps_html(panel, render.grid_picture(panel, arrays, model, chosen, lang), acts, lang)
    return out


def status(error: InputError | None, lang: str) -> str:
    """The status line: the error's sentence in the page's language (as text, never markup), or nothing."""
    return "" if error is None else html.escape(sentence(error, lang))


def blank_view(error: InputError | None = None, lang: str = "en") -> dict:
    """Every output of a reading emptied, with the status sentence (if any)."""
    return {**{key: None for key in READING}, "status": status(error, lang)}


def in_both(text_of) -> str:
    """A short text in both languages, as text, each marked so that the page's CSS shows only its own."""
    return "".join(f'<span class="l-{lang}" lang="{lang}">{html.escape(text_of(lang))}</span>' for lang in TEXTS)


def digits_html(images: torch.Tensor, names: list[str], captions: list[str] | None = None) -> str:
    """uint8 MNIST digits (N, 28, 28) as a row of buttons, drawn as the network sees them (white on black); sent
    once at 28×28, with their words in both languages, since every session keeps a copy of the page's values."""
    pictures = [Image.fromarray(a) for a in images.numpy()]
    return digit_buttons(pictures, names, captions or [""] * len(names))


def examples_html(images: torch.Tensor, labels: torch.Tensor) -> str:
    """The example digits' buttons, each named by its digit."""
    return digits_html(images, [in_both(lambda lang, d=int(d): t("alt.example", lang, digit=d)) for d in labels])


def mistakes_html(mistakes: list[dict], images: torch.Tensor) -> str:
    """The misread test digits' buttons, each captioned "true → guess (p)" and named in words."""
    def p(m: dict, lang: str) -> str:
        return percent(m["confidence"], lang)
    names = [in_both(lambda lang, m=m: t("alt.mistake", lang, digit=m["label"], guess=m["guess"], p=p(m, lang)))
             for m in mistakes]
    captions = [in_both(lambda lang, m=m: f"{m['label']} → {m['guess']} ({p(m, lang)})") for m in mistakes]
    return digits_html(images[[m["index"] for m in mistakes]], names, captions)


def filter_top_view(record: dict, images: torch.Tensor, layer: str, channel: int, lang: str) -> str:
    """The MNIST test patches that excite a filter most, with the sentence that says what they are."""
    patches = top_patches(record, images, layer, channel)
    alt = t("alt.filter-top", lang, n=len(patches), layer=layer, channel=channel)
    blank = all(not patch.any() for patch in patches)  # a filter that fires most on empty paper
    return figure(filter_top_picture(patches), alt, filter_top_html(record, layer, channel, lang, blank))


def sandbox_view(model: Net, x: torch.Tensor, padding: int, stride: int, pool: int, channel: int, lang: str) -> str:
    """conv1 run with another padding and stride on the drawing: its map at true size, the formula, the shapes."""
    result = sandbox(model, x, padding, stride, channel, pool_stride=pool)
    alt = t("alt.sandbox", lang, channel=channel, side=result["side"])
    return figure(sandbox_picture(result, lang=lang), alt, sandbox_html(result, lang))


def experiments_view(model: Net, current: Prepared | torch.Tensor, lang: str) -> dict:
    """What follows each reading of current (the session's Prepared, or its input tensor): the shift curve of the
    predicted digit and the occlusion map beside saliency. Given the Prepared, a drawing the sliders erased is left
    empty (the status line says why, once); a bare tensor cannot tell an erased drawing from a faint one."""
    if isinstance(current, Prepared) and erased_drawing(current):
        return {"shift-curve": "", "shift-text": "", "occlusion": ""}
    x = current.tensor if isinstance(current, Prepared) else current
    with torch.no_grad():
        digit = int(model(x).argmax())
    curve = shift_curve(model, x, digit)
    covered = occlusion(model, x, digit)
    return {"shift-curve": shift_frame(curve, lang), "shift-text": shift_html(curve, lang),
            "occlusion": figure(occlusion_picture(covered, x, scale=OCCLUSION_SCALE),
                                t("alt.occlusion", lang, digit=digit), occlusion_html(covered, lang))}


def top3(reading: Reading, lang: str) -> str:
    """A reading's three most likely digits with their probabilities, as a short list."""
    p, d = reading.probs.topk(3)
    return "<ol>" + "".join(f"<li><b>{int(i)}</b> {percent(float(q), lang)}</li>" for q, i in zip(p, d)) + "</ol>"


def compare_view(shipped: Reading, own: Reading, lang: str) -> str:
    """The top 3 of the shipped network and of the visitor's, side by side, for the same input."""
    return (f'<div class="compare"><div><h4>{t("own.compare.shipped", lang)}</h4>{top3(shipped, lang)}</div>'
            f'<div><h4>{t("own.compare.own", lang)}</h4>{top3(own, lang)}</div></div>')


def describe(name: str | None, acc: float, lang: str = "en", n: int = 10 * PER_DIGIT) -> str:
    """The line that says which network is reading and how well: name (HTML-escaped by the caller) for a visitor's
    file, None for the shipped network; and why this figure is not the one measured on all the test digits."""
    values = {"accuracy": percent(acc, lang, 1), "n": n, "per": PER_DIGIT, "total": TEST_DIGITS}
    return t("own.model.shipped", lang, **values) if name is None else t("own.model.own", lang, name=name, **values)


def model_name(network, lang: str, shipped_accuracy: float | None = None) -> str:
    """The line that says which network reads: the visitor's file (as text) and its accuracy, or the shipped one."""
    if network is None:
        return describe(None, shipped_accuracy if shipped_accuracy is not None else 0.0, lang)
    return describe(html.escape(network.name), network.accuracy, lang)


def shift_frame(curve: list[dict], lang: str = "en") -> str:
    """The shift curve as the page's own SVG chart: the digit's probability (in percent, as its text says it) as the
    drawing moves −8 to +8 px, one line a direction, named in lang."""
    lines = [plots.Line(t(f"what-if.{d}", lang), [(r["shift"], r["probability"]) for r in curve if r["direction"] == d],
                        colour) for d, colour in zip(DIRECTIONS, plots.SERIES)]
    return plots.line_chart(lines, t("what-if.curve-title", lang), t("what-if.shift-axis", lang),
                            t("what-if.probability-axis", lang), lang, x_range=(SHIFTS[0], SHIFTS[-1]),
                            x_ticks=list(SHIFTS[::2]),
                            y_range=(0.0, 1.0), y_ticks=[0.0, 0.25, 0.5, 0.75, 1.0], y_label=plots.percent_label)


def loss_chart(loss_curve: list, step: int, lang: str) -> str:
    """The training loss [(step, loss)] as the page's own SVG chart, with the moment shown (at step) as a dashed
    line."""
    losses = [loss for _, loss in loss_curve]
    curve = plots.Line(t("learning.loss", lang), list(loss_curve), plots.SERIES[0])
    now = plots.Line(t("learning.now", lang), [(step, 0.0), (step, max(losses))], plots.INK, dashed=True)
    return plots.line_chart([curve, now], t("learning.curve", lang), t("learning.step-axis", lang),
                            t("learning.loss", lang), lang, x_range=(0, max(loss_curve[-1][0], step)),
                            y_range=(0.0, max(losses)), summary=[curve])


def moment(snapshot, lang: str) -> str:
    """A snapshot's moment in words: the random start, after N steps, or after epoch N."""
    if snapshot.step == 0:
        return t("learning.start", lang)
    whole = abs(snapshot.epoch - round(snapshot.epoch)) < 1e-6
    return t("learning.epoch", lang, n=round(snapshot.epoch)) if whole else t("learning.steps", lang, n=snapshot.step)


def learning_view(snapshots: list, index: int, prepared, loss_curve: list, lang: str) -> dict:
    """One moment of the training run: conv1's filters then, how well it read the test digits, what it makes of the
    current drawing, and the loss curve with that moment marked."""
    s = snapshots[index]
    when = moment(s, lang)
    filters = figure(filters_picture(s.model.conv1.weight.detach().numpy()[:, 0], lang=lang),
                     t("alt.filters", lang, when=when))
    said = f"<p><b>{when}</b>: {t('learning.accuracy', lang, accuracy=percent(s.test_accuracy, lang, 1))}</p>"
    if prepared is not None:
        reading = read_prepared(s.model, prepared)
        probs = reading.probs.numpy()
        first = int(probs.argmax())
        said += figure(render.output_picture(reading.activations["logits"].numpy(), probs, lang),
                       t("alt.output", lang, digit=first, p=percent(float(probs[first]), lang),
                         second=int(probs.argsort()[-2]), q=percent(float(np.sort(probs)[-2]), lang)))
    # the slider counts snapshots, not epochs: said, so that "12" beside "epoch 15" does not puzzle anyone
    counted = t("learning.snapshot", lang, i=index, last=len(snapshots) - 1, epochs=round(snapshots[-1].epoch))
    said = f'<p class="learning-count">{counted}</p>' + said
    return {"learning": f'<div class="learning">{filters}{said}</div>', "loss-curve": loss_chart(loss_curve, s.step,
                                                                                                 lang)}
