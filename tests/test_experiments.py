import math
import re

import numpy as np
import pytest
import torch
import torch.nn as nn

from mnist_cnn.analysis import BLANK, saliency
from mnist_cnn.data import denormalise, load_mnist, normalise
from mnist_cnn.experiments import (
    PADDINGS,
    POOL_STRIDES,
    SHIFTS,
    STRIDES,
    covered_log_probs,
    erased,
    moved,
    occlusion,
    sandbox,
    shift_curve,
)
from mnist_cnn.pipeline import activations
from web.render_detail import saliency_picture
from web.render_experiments import occlusion_html, occlusion_picture, sandbox_html, sandbox_picture, shift_html

BAD = [float("nan"), float("inf"), -float("inf"), "1", None, True, False, 1.5]


@pytest.fixture(scope="module")
def digits():
    images, labels = load_mnist("test")
    return [(normalise(images[i:i + 1]), int(labels[i])) for i in range(3)]


@pytest.fixture(scope="module")
def x(digits):
    return digits[0][0]


def centre_of_mass(x: torch.Tensor) -> tuple[float, float]:
    """(column, row) of the ink's centre of mass."""
    ink = (x[0, 0] - BLANK).double()
    idx = torch.arange(28, dtype=torch.float64)
    return float((ink.sum(0) * idx).sum() / ink.sum()), float((ink.sum(1) * idx).sum() / ink.sum())


@pytest.mark.parametrize("pool_stride", POOL_STRIDES)
@pytest.mark.parametrize("stride", STRIDES)
@pytest.mark.parametrize("padding", PADDINGS)
def test_shape_chain_is_a_real_forward_pass(model, x, padding, stride, pool_stride):
    r = sandbox(model, x, padding, stride, 0, pool_stride)
    net = nn.Sequential(nn.Conv2d(1, 32, 3, stride=stride, padding=padding), nn.ReLU(), nn.MaxPool2d(2, pool_stride),
                        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, pool_stride), nn.Flatten())
    y, seen = torch.zeros(1, 1, 28, 28), []
    for layer in net:
        y = layer(y)
        seen.append(tuple(y.shape[1:]))
    stages = ("conv1", "pool1", "conv2", "pool2", "flatten")
    assert [r["shapes"][k] for k in stages] == [seen[i] for i in (0, 2, 3, 5, 6)]
    assert r["side"] == math.floor((28 + 2 * padding - 3) / stride) + 1 == r["map"].shape[0] == r["map"].shape[1]
    assert r["flatten"] == math.prod(r["shapes"]["pool2"]) and r["fits"] == (r["flatten"] == 3136)


@pytest.mark.parametrize("padding, stride, n", [(0, 1, 2304), (2, 2, 576), (1, 3, 256)])
def test_the_caught_error_is_pytorch_s_own(model, x, padding, stride, n):
    r = sandbox(model, x, padding, stride, 0)
    with pytest.raises(RuntimeError) as caught:
        model.fc1(torch.zeros(1, n))
    assert r["flatten"] == n and not r["fits"] and r["error"] == str(caught.value)
    assert f"RuntimeError: {r['error']}" in sandbox_html(r, "en")


def test_the_seed_s_own_choice_fits_and_is_its_conv1(model, x):
    r = sandbox(model, x, 1, 1, 5)
    assert (r["side"], r["flatten"], r["fits"], r["error"]) == (28, 3136, True, None)
    assert np.array_equal(r["map"], activations(model, x)["conv1_relu"][5].double().numpy())
    assert r["shapes"]["pool2"] == (64, 7, 7)
    assert "⌊(28 + 2·1 − 3)/1⌋ + 1 = 28" in sandbox_html(r, "en") and "3,136" in sandbox_html(r, "en")
    assert "7 · 7 · 64 = 3136" in sandbox_html(r, "es")


OUT_OF_RANGE = {"padding": [3, -1, 1.5], "stride": [0, 4, 2.5], "channel": [-1, 32, 0.5], "pool_stride": [0, 3, 1.5]}


@pytest.mark.parametrize("arg, bad", [(arg, v) for arg, out in OUT_OF_RANGE.items() for v in BAD + out])
def test_sandbox_refuses_bad_arguments(model, x, arg, bad):
    with pytest.raises(ValueError):
        sandbox(model, x, **{"padding": 1, "stride": 1, "channel": 0, "pool_stride": 2, arg: bad})


def test_sandbox_picture_shows_the_map_at_its_true_size(model, x):
    small, large = (sandbox_picture(sandbox(model, x, p, s, 0)) for p, s in ((0, 3), (2, 1)))
    assert small.size[1] < large.size[1] and small.mode == large.mode == "RGB"


def test_neutral_move_returns_the_input(x):
    assert torch.equal(moved(x), x) and torch.equal(moved(x, 0, 0, 0, 1, 0), x)
    assert moved(x) is not x


@pytest.mark.parametrize("dx, dy", [(3, 0), (0, 3), (-2, 1.5)])
def test_a_shift_moves_the_centre_of_mass_by_as_much(x, dx, dy):
    x = moved(x, scale=0.6)  # room on every side, so that no ink leaves the picture
    (cx, cy), (mx, my) = centre_of_mass(x), centre_of_mass(moved(x, dx, dy))
    assert mx - cx == pytest.approx(dx, abs=1e-3) and my - cy == pytest.approx(dy, abs=1e-3)


def test_turning_is_counter_clockwise_and_strokes_grow_and_shrink():
    bar = torch.full((1, 1, 28, 28), BLANK)
    bar[0, 0, 4:24, 14] = 2.8
    turned = moved(bar, angle=30)[0, 0]
    assert turned[6].argmax() < 14 < turned[21].argmax()  # the top leans left, the foot right
    ink = lambda t: float((t - BLANK).clamp(min=0).sum())  # noqa: E731
    assert ink(moved(bar, thickness=-1)) < ink(bar) < ink(moved(bar, thickness=1)) < ink(moved(bar, thickness=2))
    bar[0, 0, 4:24, 13] = 2.8  # now centred on the picture's centre, 13.5, which scaling keeps
    assert centre_of_mass(moved(bar, scale=1.5)) == pytest.approx((13.5, 13.5), abs=1e-3)


@pytest.mark.parametrize("arg, good", [("dx", 8), ("dy", -8), ("angle", 45), ("scale", 0.5), ("thickness", -2)])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "1", True, None, 100])
def test_moved_refuses_bad_arguments(x, arg, good, bad):
    moved(x, **{arg: good})  # the edge of the range is allowed
    with pytest.raises(ValueError):
        moved(x, **{arg: bad})


def test_thickness_takes_whole_steps_only(x):
    assert torch.equal(moved(x, thickness=1.0), moved(x, thickness=1))
    with pytest.raises(ValueError):
        moved(x, thickness=0.5)


def test_shift_curve(model, digits):
    x, label = digits[0]
    curve = shift_curve(model, x, label)
    for direction in ("horizontal", "vertical"):
        rows = [r for r in curve if r["direction"] == direction]
        assert [r["shift"] for r in rows] == list(SHIFTS) and len(rows) == 17
        own = float(activations(model, x)["log_probs"][label].exp())
        assert next(r["probability"] for r in rows if r["shift"] == 0) == pytest.approx(own, abs=1e-6)
    with torch.no_grad():
        right3 = float(model(moved(x, 3, 0)).exp()[0, label])
    assert next(r["probability"] for r in curve if r == {**r, "shift": 3, "direction": "horizontal"}) == \
        pytest.approx(right3, abs=1e-5)
    with pytest.raises(ValueError):
        shift_curve(model, x, 10)


def test_occlusion_of_blank_paper_is_exactly_zero(model, digits):
    for x, label in digits:
        r = occlusion(model, x, label)
        blank = (x[0, 0] == BLANK).numpy()
        p = r["patch"]
        for i in range(28):
            for j in range(28):
                if blank[max(0, i - p + 1):i + p, max(0, j - p + 1):j + p].all():  # every patch over it is blank
                    assert r["map"][i, j] == 0.0
        assert (r["map"] == 0).sum() > 50  # MNIST digits leave blank margins


def test_occlusion_agrees_with_covering_one_place_at_a_time(model, x):
    r = occlusion(model, x, 7)
    (row, col), p = r["worst"], r["patch"]
    covered = x.clone()
    covered[0, 0, row:row + p, col:col + p] = BLANK
    with torch.no_grad():
        base, after = (float(model(t).exp()[0, 7]) for t in (x, covered))
    assert r["probability"] == pytest.approx(base, abs=1e-6)
    assert r["worst_drop"] == pytest.approx(base - after, abs=1e-5) and r["worst_drop"] > 0.1
    assert r["drops"].shape == (12, 12) and r["map"].shape == (28, 28)
    picture = occlusion_picture(r, x)
    assert picture.size == saliency_picture(x, saliency(model, x, 7)).size


@pytest.mark.parametrize("patch", [2, 3, 6, 7, 14])
def test_the_local_forward_pass_is_the_model_s_own(model, x, patch):
    places = [(r, c) for r in range(0, 29 - patch, 3) for c in range(0, 29 - patch, 2)] + [(28 - patch, 28 - patch)]
    covered = x.expand(len(places), -1, -1, -1).clone()
    for i, (r, c) in enumerate(places):
        covered[i, 0, r:r + patch, c:c + patch] = BLANK
    with torch.no_grad():
        assert torch.allclose(covered_log_probs(model, x, places, patch), model(covered), atol=1e-5)


def decimals(s: str) -> list[str]:
    """The decimal separators between digits in s (HTML tags and PyTorch's error aside)."""
    return re.findall(r"\d([.,])\d", re.sub(r"<pre>.*?</pre>", "", s))


def test_html_in_both_languages_with_the_languages_numbers(model, digits):
    x, label = digits[0]
    r = occlusion(model, x, label)
    curve = shift_curve(model, x, label)
    for make in (lambda lang: occlusion_html(r, lang), lambda lang: shift_html(curve, lang),
                 lambda lang: sandbox_html(sandbox(model, x, 0, 1, 3), lang)):
        en, es = make("en"), make("es")
        assert en != es and "%(" not in en + es and not set("{}") & set(en + es)
        assert "." not in decimals(es)
    assert "\u00a0%" in shift_html(curve, "es") and "\u00a0%" in occlusion_html(r, "es")
    assert "−" in shift_html(curve, "en")  # shifts to the left, with a true minus


def test_html_for_an_unsure_reading_and_an_empty_page(model):
    curve = [{"shift": s, "direction": d, "probability": 0.3, "digit": 4} for d in ("horizontal", "vertical")
             for s in SHIFTS]
    assert "30\u00a0%" in shift_html(curve, "es") and "only 30%" in shift_html(curve, "en")
    assert "between 30% and 30%" in shift_html(curve, "en")
    blank = torch.full((1, 1, 28, 28), BLANK)
    r = occlusion(model, blank, 3)
    assert not r["map"].any() and r["worst_drop"] == 0
    assert "does not lower" in occlusion_html(r, "en") and "no baja" in occlusion_html(r, "es")


def test_the_shift_text_gives_the_curve_s_lowest_and_highest():
    # a weak reading that rises when moved: the text must not say it only falls
    curve = [{"shift": s, "direction": d, "probability": 0.42 + 0.02 * abs(s), "digit": 4}
             for d in ("horizontal", "vertical") for s in SHIFTS]
    assert "between 42% and 58%" in shift_html(curve, "en") and "entre un 42\u00a0% y un 58\u00a0%" in shift_html(
        curve, "es")


def test_thinning_by_two_erases_an_mnist_stroke_and_says_so(digits):
    x = digits[0][0]
    assert not erased(x) and not erased(moved(x, thickness=-1)) and not erased(moved(x, 3, 0, 20, 0.5, 0))
    assert erased(moved(x, thickness=-2)) and erased(torch.full((1, 1, 28, 28), BLANK))
    faint = normalise((0.4 * 255 * (denormalise(x) > 0.5)).round().to(torch.uint8)[0])[None]  # strokes at 0.4 ink
    assert erased(faint) and not erased(faint, ink=0.4)  # erased is measured against the ink the input had


def test_the_occlusion_square_can_be_seen_at_the_page_s_scale(model, x):
    r = occlusion(model, x, 7)
    im = np.asarray(occlusion_picture(r, x, scale=8))
    assert im.shape == (224, 224, 3)
    (row, col), p = r["worst"], r["patch"]
    outline = im[row * 8:(row + p) * 8, col * 8]  # the square's left side
    assert (outline == (64, 64, 64)).all(-1).mean() > 0.9
