import math
import re

import pytest

from mnist_cnn.model import Net, count_parameters
from web.render import PANELS
from web.text import EN, ES

KEYS = {f"{p}.{part}" for p in PANELS for part in ("title", "text")} | {
    "app.title", "app.intro", "draw.label", "draw.hint", "clear", "undo", "upload.label", "prediction.label",
    "examples.label", "padding.title", "stride.title", "dim1.title", "explain.padding", "explain.stride", "explain.dim1", "error.blank"}
LAYER_OF_PANEL = {"act-conv1": "conv1", "act-conv2": "conv2", "act-fc1": "fc1", "act-output": "fc2"}
# an equation written in a text, e.g. "64 · (32 · 3 · 3) + 64 = 18,496" or "⌊(28 + 2·1 − 3)/1⌋ + 1 = 28"
EQUATION = re.compile(r"([⌊(\d][\d ·×+−/()⌊⌋]*) = (\d+)")


def plain(s: str) -> str:
    """Text without bold marks, and numbers without thousands separators (comma in English, no-break space in
    Spanish)."""
    return re.sub(r"(?<=\d)[,\u00a0](?=\d{3}\b)", "", s.replace("**", ""))


def value(expr: str) -> float:
    """The value of an equation's left side, written with ·, ×, −, / and ⌊ ⌋."""
    py = expr.translate(str.maketrans({"·": "*", "×": "*", "−": "-", "⌋": ")"})).replace("⌊", "math.floor(")
    assert re.fullmatch(r"[\d\s*+\-/().a-z]*", py), expr
    return eval(py, {"math": math})  # only digits and arithmetic reach here


@pytest.mark.parametrize("lang", [EN, ES])
def test_every_key_is_there_and_not_empty(lang):
    assert KEYS <= set(lang)  # the app may add its own keys
    assert all(isinstance(v, str) and v.strip() for v in lang.values())


def test_both_languages_have_the_same_keys():
    assert EN.keys() == ES.keys()
    assert all(EN[k] != ES[k] for k in KEYS if len(EN[k]) > 12)  # translated, not copied


@pytest.mark.parametrize("lang", [EN, ES])
def test_texts_are_valid_icu_messages(lang):
    # Gradio's front end formats every text as an ICU message, where braces are placeholders and ' quotes
    for key, s in lang.items():
        assert not set("{}'") & set(s), key


@pytest.mark.parametrize("lang", [EN, ES])
def test_parameter_counts_are_the_model_s_own(lang):
    model = Net()
    for panel, layer in LAYER_OF_PANEL.items():
        n = sum(p.numel() for p in getattr(model, layer).parameters())
        assert f"= {n}" in plain(lang[f"{panel}.text"]), (panel, n)
    assert str(count_parameters(model)) in plain(lang["act-fc1.text"])
    assert f"= {count_parameters(model)}" in plain(lang["act-output.text"])
    for panel in ("act-pool1", "act-pool2"):  # pooling has no weights
        assert "**0**" in lang[f"{panel}.text"]


@pytest.mark.parametrize("lang", [EN, ES])
def test_every_equation_in_the_texts_is_right(lang):
    found = 0
    for key, s in lang.items():
        for expr, result in EQUATION.findall(plain(s)):
            assert value(expr) == int(result), (key, expr, result)
            found += 1
    assert found >= 12


@pytest.mark.parametrize("lang", [EN, ES])
def test_the_seed_s_arithmetic_is_shown(lang):
    padding = "⌊(28 + 2·1 − 3)/1⌋ + 1 = 28"
    assert padding in lang["act-conv1.text"] and padding in lang["explain.padding"]
    assert "7 × 7 × 64 = 3136" in lang["act-fc1.text"] and "7 × 7 × 64 = 3136" in lang["act-pool2.text"]
    assert "28 → 14 → 7" in lang["explain.stride"]
    assert "dim=1" in lang["explain.dim1"] and "dim=1" in lang["act-output.text"]
    shapes = {"input28": "1 × 28 × 28", "act-conv1": "32 × 28 × 28", "act-pool1": "32 × 14 × 14",
              "act-conv2": "64 × 14 × 14", "act-pool2": "64 × 7 × 7", "act-fc1": "128", "act-output": "10"}
    for panel, shape in shapes.items():
        assert shape in lang[f"{panel}.text"], panel
    for s in lang.values():  # sizes written the usual way: 28×28, not 28x28
        assert not re.search(r"\d\s?[xX*]\s?\d", s), s
