import re

import numpy as np
import pytest
import torch

from mnist_cnn.analysis import kernel_detail, saliency, softmax_steps
from mnist_cnn.data import load_mnist, normalise
from web.i18n import bilingual, number
from web.render import GREEN
from web.render_detail import (
    kernel_html,
    kernel_picture,
    mistakes_intro,
    saliency_caption,
    saliency_picture,
    softmax_html,
)
from web.text import EN, ES

KEYS = ("kernel.title", "kernel.input.conv1", "kernel.input.conv2", "kernel.padding", "kernel.weights",
        "kernel.patch", "kernel.products", "kernel.sum", "kernel.sum.channels", "kernel.partials", "kernel.bias",
        "kernel.check", "kernel.relu", "saliency.caption", "softmax.digit", "softmax.prob", "softmax.shift",
        "softmax.sum", "softmax.log", "softmax.dim", "mistakes.intro")


@pytest.fixture(scope="module")
def x():
    return normalise(load_mnist("test")[0][:1])


def test_both_languages_have_every_sentence():
    for key in KEYS:
        assert EN[key] != ES[key], key
        assert re.findall(r"%\((\w+)\)s", EN[key]) == re.findall(r"%\((\w+)\)s", ES[key]), key


@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_kernel_html_shows_the_worked_numbers(model, x, layer):
    d = kernel_detail(model, x, layer, 3)
    k = d["top_channel"] if layer == "conv2" else 0
    en, es = kernel_html(d, "en"), kernel_html(d, "es")
    for html, lang in ((en, "en"), (es, "es")):
        num = lambda v: number(v, lang)  # noqa: E731
        assert f"<b>{num(d['value'])}</b>" in html and num(d["bias"]) in html and num(d["sum"]) in html
        for v in np.concatenate([d["weights"][k].ravel(), d["patch"][k].ravel(), d["products"][k].ravel()]):
            assert f">{num(v)}</td>" in html
    assert "bias" in en and "sesgo" in es
    assert ("sum over the 32 channels" in en) == (layer == "conv2")
    assert ("suma sobre los 32 canales" in es) == (layer == "conv2")


def test_softmax_html_has_one_row_per_digit_and_the_models_numbers(model, x):
    with torch.no_grad():
        log_probs, acts = model(x, return_activations=True)
    html = softmax_html(softmax_steps(acts["logits"]), "es")
    rows = re.findall(r"<tr[^>]*><td>(\d)</td>", html)
    assert rows == [str(d) for d in range(10)]
    for v in log_probs[0]:
        assert number(float(v), "es") in html and "," in number(float(v), "es")
    assert "dim=1" in html and "sm-top" in html


def test_saliency_picture_is_red_where_ink_pushed_up_and_blue_where_down(model, x):
    s = saliency(model, x)
    img = np.asarray(saliency_picture(x, s, scale=8))
    assert img.shape == (224, 224, 3)
    up = np.unravel_index(s["map"].argmax(), (28, 28))
    down = np.unravel_index(s["map"].argmin(), (28, 28))
    red, blue = img[up[0] * 8 + 4, up[1] * 8 + 4], img[down[0] * 8 + 4, down[1] * 8 + 4]
    assert red[0] > 150 > red[2] and blue[2] > 150 > blue[0]
    assert (img[:8, :8] == 255).all()  # blank paper stays white
    assert "«7»" in saliency_caption(s, "es") and "“7”" in saliency_caption(s, "en")


def test_kernel_picture_boxes_the_patch_in_green(model, x):
    d = kernel_detail(model, x, "conv2", 10)
    img = np.asarray(kernel_picture(d, side=240))
    cell = 240 // 16
    r0, c0 = d["row"] * cell, d["col"] * cell  # the 3×3 box starts one cell above-left; +1 cell for the frame
    assert tuple(img[r0, c0 + cell]) == GREEN


def test_mistakes_intro_writes_thousands_the_languages_way():
    assert mistakes_intro(70, 10000, "en").startswith("70 of the 10,000 ")
    assert mistakes_intro(70, 10000, "es").startswith("70 de los 10\u00a0000 ")


def test_bilingual_holds_both_languages_marked_for_the_page_css(model, x):
    s = saliency(model, x)
    html = bilingual(saliency_caption, s)
    assert f'<div class="l-en" lang="en">{saliency_caption(s, "en")}</div>' in html
    assert f'<div class="l-es" lang="es">{saliency_caption(s, "es")}</div>' in html
