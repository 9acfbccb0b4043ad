"""The "#batch" panel (web/batch_view.py): one row per image with its picture, one column per digit, the sums, the
drawing's numbers, nll_loss, the shapes with the batch, view's −1 and the 1x of PyTorch's error, in EN and ES."""
import base64
import io
import re

import pytest
from PIL import Image

from mnist_cnn.batch import run_batch
from web.batch_view import BATCH_CSS, HEAT_LEVELS, batch_html, batch_view, shapes_text
from web.i18n import number
from web.text import EN, ES

KEYS = ("batch.title", "batch.text", "batch-size.label", "batch-dim.label", "batch.caption", "batch.region",
        "batch.image", "batch.row-sum", "batch.column-sum", "batch.drawing", "batch.digit", "batch.rows",
        "batch.columns", "batch.columns.other", "batch.columns.one", "batch.loss", "batch.why", "batch.shapes",
        "batch.view", "batch.one", "error.batch_size", "error.batch_dim")
ROW = re.compile(r"<tr(?: class=bt-you)?><th scope=\"row\">(\d+) <img src=\"([^\"]+)\" width=\"(\d+)\" "
                 r"height=\"(\d+)\" alt=\"([^\"]+)\"></th>(.*?)</tr>")
CELL = re.compile(r"<td[^>]*>([^<]*)</td>")


@pytest.fixture(scope="module")
def batch(model, drawing, test_set):
    return lambda n, dim: run_batch(model, drawing, *test_set, n, dim)


def rows(html: str) -> list[tuple]:
    return ROW.findall(html)


def test_every_text_is_in_both_languages_with_the_same_values():
    for key in KEYS:
        assert EN[key] != ES[key], key
        assert sorted(re.findall(r"%\((\w+)\)s", EN[key])) == sorted(re.findall(r"%\((\w+)\)s", ES[key])), key


@pytest.mark.parametrize("n", [8, 64])
def test_one_row_per_image_each_with_its_picture_and_its_name(batch, n):
    found = rows(batch_html(batch(n, 1), "en"))
    assert [int(r[0]) for r in found] == list(range(n))
    for i, (_, src, w, h, alt, _) in enumerate(found):
        assert int(w) >= 28 and int(h) >= 28 and alt
        image = Image.open(io.BytesIO(base64.b64decode(src.removeprefix("data:image/png;base64,"))))
        assert image.size == (28, 28)
    assert found[0][4] == "Row 0: your drawing" and found[1][4] == "Row 1: MNIST test digit 0, a 7"


@pytest.mark.parametrize("lang", ["en", "es"])
def test_each_row_holds_its_10_probabilities_and_its_sum_in_the_page_s_format(batch, lang):
    b = batch(8, 1)
    for i, row in enumerate(rows(batch_html(b, lang))):
        cells = CELL.findall(row[5])
        assert cells == [number(float(p), lang, 2) for p in b.probs[1][i]] + [number(1.0, lang, 2)]
    assert number(1.0, "es", 2) == "1,00"


@pytest.mark.parametrize("n", [8, 64])
def test_the_sums_are_1_along_the_dim_picked(batch, n):
    html = batch_html(batch(n, 1), "es")
    assert [CELL.findall(r[5])[-1] for r in rows(html)] == ["1,00"] * n  # every row sums to 1
    html = batch_html(batch(n, 0), "es")
    foot = re.search(r"<tfoot>(.*?)</tfoot>", html).group(1)
    assert CELL.findall(foot) == ["1,00"] * 10 + [""]  # every column sums to 1
    assert [CELL.findall(r[5])[-1] for r in rows(html)] != ["1,00"] * n


def test_the_heat_map_is_deepest_at_the_table_s_largest_value(batch):
    b = batch(64, 0)
    html = batch_html(b, "en")
    assert html.count(f'class="bt-h{HEAT_LEVELS}"') >= 1 and 'class="bt-h0"' in html
    assert all(f"td.bt-h{i} " in BATCH_CSS for i in range(1, HEAT_LEVELS + 1))
    assert "max-height" in BATCH_CSS and "overflow: auto" in BATCH_CSS  # 64 rows scroll inside their box


def test_the_sentences_carry_this_drawing_s_numbers(batch):
    b8, b64 = batch(8, 1), batch(64, 1)
    for b in (b8, b64):
        for lang in ("en", "es"):
            html = batch_html(b, lang)
            assert number(float(b.probs[1][0][7]), lang) in html  # its dim=1 probability for its answer
            assert number(float(b.row_sums[0][0]), lang) in html  # its row's sum under dim=0
            assert number(b.losses[1], lang) in html and number(b.losses[0], lang) in html
    # the dim=1 number is the same in both batches; the dim=0 one is not
    assert number(float(b8.probs[1][0][7])) == number(float(b64.probs[1][0][7]))
    assert number(float(b8.row_sums[0][0])) != number(float(b64.row_sums[0][0]))


def test_a_batch_of_one_under_dim_0_gives_every_digit_1(batch):
    assert ES["batch.columns.one"] in batch_html(batch(1, 0), "es")
    assert ES["batch.columns.one"] not in batch_html(batch(8, 0), "es")


def test_the_shapes_with_the_batch_and_view_s_minus_1(batch):
    b = batch(64, 1)
    chain = ("[64, 1, 28, 28] → [64, 32, 28, 28] → [64, 32, 14, 14] → [64, 64, 14, 14] → [64, 64, 7, 7] → "
             "[64, 3136] → [64, 128] → [64, 10]")
    assert shapes_text(b) == chain
    en, es = batch_html(b, "en"), batch_html(b, "es")
    assert " → ".join(f"<code>{s}</code>" for s in chain.split(" → ")) in en
    assert "<code>x.view(-1, 7 * 7 * 64)</code>" in en
    assert "200,704 numbers / 3,136 per image = 64 rows" in en
    assert "200\u00a0704 números / 3136 por imagen = 64 filas" in es
    assert shapes_text(batch(8, 1)).endswith("[8, 3136] → [8, 128] → [8, 10]")


def test_the_1x_of_pytorch_s_error_is_the_batch_of_one(batch):
    en = batch_html(batch(8, 1), "en")
    assert "the 1 of <code>1x2304</code>" in en and "says <code>8x2304</code>" in en
    assert "(1x2304 and 3136x128)" in en and "(8x2304 and 3136x128)" in en and "<code>3136x128</code>" in en


def test_both_languages_marked_for_the_page_s_css(batch):
    b = batch(8, 1)
    html = batch_view(b)
    assert f'<div class="l-en" lang="en">{batch_html(b, "en")}</div>' in html
    assert f'<div class="l-es" lang="es">{batch_html(b, "es")}</div>' in html
    assert "suma de la fila" in html and "row sum" in html
