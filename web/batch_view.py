"""The "#batch" panel: one batch's probabilities as a table (a row per image, labelled with its picture; a column per
class; a heat map; the row and column sums), then what they say with this drawing's numbers, in EN or ES.
"""
import html
import re

from PIL import Image

from mnist_cnn.batch import Batch

from .i18n import bilingual, integer, number, t
from .render import WARM
from .widgets import data_url

ROW_PICTURE = 28  # CSS px of each row's picture: the image at its true 28×28
HEAT = WARM[2]  # the heat map's colour, the warm colour of the page's scale
HEAT_MAX = 0.6  # its opacity at the table's largest value: dark text stays readable on it (contrast 7 to 1)
HEAT_LEVELS = 10  # steps of the heat map, each a CSS class: a 64-row table stays small
DECIMALS = 2  # in the table; the sentences say the drawing's numbers with 3
SEED_VIEW = "x.view(-1, 7 * 7 * 64)"  # the seed's flatten, as its code writes it
SHAPES = re.compile(r"\((\d+x\d+) and (\d+x\d+)\)")  # the two matrices' shapes in PyTorch's words

# Small stylesheet for the table; the app passes it to launch(css=...). At 64 rows it scrolls inside its own box.
BATCH_CSS = """
.bt-scroll { max-height: 26em; overflow: auto; border: 1px solid #ccc; }
.bt-table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 0.85em; }
.bt-table caption { font-size: 0.9em; text-align: left; padding: 2px 4px; }
.bt-table th, .bt-table td { padding: 1px 4px !important; text-align: right; border-bottom: 1px solid #eee; color: #222;
                             font-size: 12px !important; line-height: 1.2 !important; min-width: 0 !important; }
.bt-table thead th { position: sticky; top: 0; background: #f4f4f4; z-index: 1; }
.bt-table tfoot th, .bt-table tfoot td { position: sticky; bottom: 0; background: #f4f4f4; }
.bt-table th[scope=row] { white-space: nowrap; font-weight: normal; background: #fff; }
.bt-table img { display: inline-block !important; margin: 0 0 0 4px !important; width: 28px; height: 28px;
                image-rendering: pixelated; vertical-align: middle; }
.bt-table tr.bt-you th, .bt-table tr.bt-you td { font-weight: bold; border-bottom: 2px solid #222; }
.bt-table .bt-sum { font-weight: bold; background: #fff3c4; }
.bt code { white-space: nowrap; }
.bt pre { white-space: pre-wrap; }
""" + "".join(f".bt-table td.bt-h{i} {{ background: rgba({HEAT[0]}, {HEAT[1]}, {HEAT[2]}, "
              f"{HEAT_MAX * i / HEAT_LEVELS:.2f}); }}\n" for i in range(1, HEAT_LEVELS + 1))


def heat(p: float, top: float) -> str:
    """The class of a cell holding p in a table whose largest value is top: its heat level, 0 (white) to
    HEAT_LEVELS. Relative to the table's largest value, so that dim=0's small numbers in a big batch still show."""
    return f"bt-h{round(HEAT_LEVELS * min(max(p / top, 0.0), 1.0)) if top > 0 else 0}"


def row_name(batch: Batch, i: int, lang: str) -> str:
    """A row's name: the learner's drawing for row 0, else the MNIST test digit it shows and its label."""
    if i == 0:
        return t("batch.drawing", lang)
    return t("batch.digit", lang, row=i, index=i - 1, label=int(batch.labels[i]))


def row_head(batch: Batch, i: int, lang: str) -> str:
    """A row's heading: its number and its image, 28×28 as the network sees it (white ink on black)."""
    image = Image.fromarray(batch.ink[i].numpy())
    return (f'<th scope="row">{i} <img src="{data_url(image)}" width="{ROW_PICTURE}" height="{ROW_PICTURE}" '
            f'alt="{html.escape(row_name(batch, i, lang))}"></th>')


def table_html(batch: Batch, lang: str = "en") -> str:
    """The chosen probabilities (N, 10) as a table with a heat map, each row's sum on its right and each column's
    sum under it."""
    d, probs = batch.dim, batch.chosen.tolist()
    top = float(batch.chosen.max())
    head = (f'<th scope="col">{t("batch.image", lang)}</th>' + "".join(f'<th scope="col">{c}</th>' for c in range(10))
            + f'<th scope="col">{t("batch.row-sum", lang)}</th>')
    rows = []
    for i, (row, total) in enumerate(zip(probs, batch.row_sums[d].tolist())):
        cells = "".join(f'<td class="{heat(p, top)}">{number(p, lang, DECIMALS)}</td>' for p in row)
        sum_class = ' class="bt-sum"' if d == 1 else ""
        rows.append(f'<tr{" class=bt-you" if i == 0 else ""}>{row_head(batch, i, lang)}{cells}'
                    f"<td{sum_class}>{number(total, lang, DECIMALS)}</td></tr>")
    foot_class = ' class="bt-sum"' if d == 0 else ""
    foot = "".join(f"<td{foot_class}>{number(s, lang, DECIMALS)}</td>" for s in batch.column_sums[d].tolist())
    caption = t("batch.caption", lang, dim=d, n=batch.size)
    name = html.escape(t("batch.region", lang, dim=d, n=batch.size))
    return (f'<div class="bt-scroll" role="region" tabindex="0" aria-label="{name}"><table class="bt-table">'
            f"<caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>"
            f'<tfoot><tr><th scope="row">{t("batch.column-sum", lang)}</th>{foot}<td></td></tr></tfoot>'
            "</table></div>")


def shape(dims: tuple) -> str:
    """A shape with the batch, as PyTorch prints a list: [8, 1, 28, 28]."""
    return "[" + ", ".join(str(n) for n in dims) + "]"


def shapes_text(batch: Batch) -> str:
    """The shape chain with the batch: [N, 1, 28, 28] → [N, 32, 28, 28] → … → [N, 3136] → [N, 128] → [N, 10]."""
    return " → ".join(shape(s) for _, s in batch.shapes)


def matrices(error: str) -> tuple[str, str]:
    """The two shapes in PyTorch's "mat1 and mat2 shapes cannot be multiplied (1x2304 and 3136x128)"."""
    found = SHAPES.search(error)
    return found.groups() if found else ("", "")


def drawing_sentences(batch: Batch, lang: str) -> str:
    """What the two normalisations make of the drawing, with its numbers: row 0's sum, its answer and probability."""
    p = {d: batch.probs[d][0] for d in (0, 1)}
    say = {d: {"sum": number(float(batch.row_sums[d][0]), lang), "digit": batch.answers[d],
               "p": number(float(p[d][batch.answers[d]]), lang)} for d in (0, 1)}
    rows = t("batch.rows", lang, **say[1])
    if batch.size == 1:
        columns = t("batch.columns.one", lang)
    else:
        columns = t("batch.columns", lang, n=batch.size, **say[0])
        one = batch.answers[1]  # the dim=1 answer, followed into the dim=0 table when it is not dim=0's
        if one != batch.answers[0]:
            columns += " " + t("batch.columns.other", lang, same=one, q=number(float(p[0][one]), lang))
    return f"<p>{rows}</p><p>{columns}</p>"


def batch_html(batch: Batch, lang: str = "en") -> str:
    """The whole panel in lang: the table, the drawing's numbers under each choice, nll_loss, why dim=0 fails
    training, the shapes with the batch, what view's −1 becomes, and the 1x of the sandbox's PyTorch error."""
    loss = t("batch.loss", lang, digit=batch.answers[1], loss1=number(batch.losses[1], lang),
             loss0=number(batch.losses[0], lang))
    chain = " → ".join(f"<code>{shape(s)}</code>" for _, s in batch.shapes)  # each shape kept on one line
    view = t("batch.view", lang, code=f"<code>{SEED_VIEW}</code>", total=integer(batch.rows * batch.width, lang),
             width=integer(batch.width, lang), n=batch.rows)
    one, weights = matrices(batch.error_one)
    mine, _ = matrices(batch.error_batch)
    errors = (f"<pre>RuntimeError: {html.escape(batch.error_one)}\n"
              f"RuntimeError: {html.escape(batch.error_batch)}</pre>")
    said = t("batch.one", lang, one=f"<code>{one}</code>", weights=f"<code>{weights}</code>", n=batch.size,
             mine=f"<code>{mine}</code>", width=integer(batch.misfit, lang),
             expected=integer(batch.width, lang))
    return (f'<div class="bt">{table_html(batch, lang)}{drawing_sentences(batch, lang)}<p>{loss}</p>'
            f'<p>{t("batch.why", lang)}</p><p>{t("batch.shapes", lang, n=batch.size)} {chain}</p><p>{view}</p>'
            f"<p>{said}</p>{errors}</div>")


def batch_view(batch: Batch) -> str:
    """The panel in both languages, of which the page's CSS shows its own (i18n.bilingual)."""
    return bilingual(batch_html, batch)
