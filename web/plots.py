"""The page's own line charts, as inline SVG in the page's language: its ticks, titles and legend written as that
language writes them. The shift curve and the training loss are drawn here.
"""
# Why not gr.LinePlot: Gradio's Vega chart cannot format its axes per language (its ticks stay 0.5 and 1,000, which a
# Spanish reader takes for 1), its legend and axis titles stay English (or show a raw __i18n__ key), its legend is
# clipped, and on the Spanish page its lines lose their colour when the chart is updated (stroke: none). An SVG made
# here is text like the rest of a reading's HTML: one language, one number format, colours that are its own.
import html
import math
from collections.abc import Callable
from dataclasses import dataclass

from .i18n import integer, number, percent, t

# Every line's colour, defined once: dark enough to stand 3:1 against the white chart (WCAG's for graphics)
BLUE, ORANGE, INK = "#1f5fbf", "#c2410c", "#222222"
SERIES = (BLUE, ORANGE)  # the colours of a chart's data lines, in order
GRID, AXIS = "#dddddd", "#666666"

# The chart's box, in its own units (the viewBox): it is drawn 100 % wide, so these are proportions
WIDTH, PLOT_H = 420, 190
LEFT, RIGHT, TOP = 60, 16, 30  # room for the y ticks and the y title, the last x tick, the title
TICK_ROOM, TITLE_ROOM, LEGEND_ROW = 20, 22, 20  # under the plot: x ticks, x title, then one legend row per line
FONT = 14  # px of every text in the chart at its natural width (about 12 px on a phone, 17 on a desktop)
CHAR = 0.6 * FONT  # a character's width, near enough, to keep texts inside the box


@dataclass(frozen=True)
class Line:
    """One line of a chart: its name in the legend, its points (x, y), its colour, and whether it is dashed."""
    name: str
    points: list[tuple[float, float]]
    colour: str
    dashed: bool = False


def ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """At most `most` round values (1, 2 or 5 times a power of ten apart) from lo to hi, both inside."""
    span = (hi - lo) or 1.0
    raw = span / (most - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
    first = math.ceil(lo / step - 1e-9) * step
    count = math.floor((hi - first) / step + 1e-9) + 1
    return [round(first + i * step, 10) for i in range(count)]


def tick_label(v: float, step: float, lang: str) -> str:
    """A tick's value with as many decimals as its step needs, written the language's way (−8, 0,5, 10 000)."""
    decimals = next((d for d in range(6) if abs(round(step, d) - step) < 1e-9 * max(1.0, step)), 6)  # 0.25: 2
    if decimals == 0 and abs(v) >= 1000:
        return integer(round(v), lang)
    return number(v, lang, decimals)


def percent_label(v: float, step: float, lang: str) -> str:
    """A probability tick as a percentage: 50 % in Spanish, 50% in English."""
    return percent(v, lang)


def text(x: float, y: float, s: str, anchor: str = "middle", colour: str = INK, extra: str = "") -> str:
    """An SVG text (escaped) at (x, y), y its baseline."""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{colour}" font-size="{FONT}"{extra}>'
            f"{html.escape(s)}</text>")


def fitted(s: str, room: float) -> str:
    """s, cut with an ellipsis if it would run past room units: a text never leaves the chart's box."""
    most = max(1, int(room / CHAR))
    return s if len(s) <= most else s[:most - 1] + "…"


def described(title: str, lines: list[Line], y_label: Callable, lang: str) -> str:
    """What the chart shows, in words: its title and each line's lowest and highest value (its alt text)."""
    said = [t("plot.line", lang, name=line.name, low=y_label(min(y for _, y in line.points)),
              high=y_label(max(y for _, y in line.points))) for line in lines if line.points]
    return f"{title}. " + "; ".join(said)


def line_chart(lines: list[Line], title: str, x_title: str, y_title: str, lang: str,
               x_range: tuple[float, float] | None = None, y_range: tuple[float, float] | None = None,
               x_ticks: list[float] | None = None, y_ticks: list[float] | None = None,
               x_label: Callable = tick_label, y_label: Callable = tick_label,
               summary: list[Line] | None = None) -> str:
    """Lines as a responsive SVG chart (100 % wide): title, axes with ticks and titles, a legend under it (one row a
    line, so never clipped), and an aria-label that says what it shows. summary: the lines the label speaks of
    (all by default)."""
    xs = [x for line in lines for x, _ in line.points]
    ys = [y for line in lines for _, y in line.points]
    x0, x1 = x_range or (min(xs), max(xs))
    y0, y1 = y_range or (min(0.0, min(ys)), max(ys))
    x_ticks = x_ticks or ticks(x0, x1, 7)
    y_ticks = y_ticks or ticks(y0, y1)
    x_step = x_ticks[1] - x_ticks[0] if len(x_ticks) > 1 else 1.0
    y_step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else 1.0
    plot_w = WIDTH - LEFT - RIGHT
    bottom = TOP + PLOT_H
    height = bottom + TICK_ROOM + TITLE_ROOM + LEGEND_ROW * len(lines) + 6

    def px(x: float) -> float:
        return LEFT + (x - x0) / ((x1 - x0) or 1.0) * plot_w

    def py(y: float) -> float:
        return bottom - (y - y0) / ((y1 - y0) or 1.0) * PLOT_H

    def ys_label(v):
        return y_label(v, y_step, lang)
    label = described(title, summary or lines, ys_label, lang)
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
           f'aria-label="{html.escape(label)}" xmlns="http://www.w3.org/2000/svg" '
           f'style="max-width: {WIDTH * 1.25:.0f}px; height: auto; display: block; font-family: inherit">',
           f"<title>{html.escape(label)}</title>",
           f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
           text(WIDTH / 2, TOP - 12, fitted(title, WIDTH - 8), extra=' font-weight="600"')]
    for v in y_ticks:  # grid lines and the y axis's values, right-aligned left of the plot
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="{GRID}"/>')
        out.append(text(LEFT - 6, py(v) + FONT / 3, ys_label(v), "end", AXIS))
    for v in x_ticks:
        out.append(f'<line x1="{px(v):.1f}" x2="{px(v):.1f}" y1="{bottom}" y2="{bottom + 4}" stroke="{AXIS}"/>')
        out.append(text(px(v), bottom + 4 + FONT, x_label(v, x_step, lang), "middle", AXIS))
    out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{bottom}" y2="{bottom}" stroke="{AXIS}"/>')
    out.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{bottom}" stroke="{AXIS}"/>')
    out.append(text(LEFT + plot_w / 2, bottom + TICK_ROOM + FONT + 2, fitted(x_title, plot_w)))
    middle = TOP + PLOT_H / 2
    out.append(text(14, middle, fitted(y_title, PLOT_H), extra=f' transform="rotate(-90 14 {middle:.1f})"'))
    for line in lines:
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in line.points)
        out.append(f'<polyline points="{points}" fill="none" stroke="{line.colour}" stroke-width="2.5"'
                   f' stroke-linejoin="round"{dash}/>')
    for i, line in enumerate(lines):  # the legend: a stroke of each line's colour and its name, one row each
        y = bottom + TICK_ROOM + TITLE_ROOM + LEGEND_ROW * i + LEGEND_ROW / 2 + 4
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        out.append(f'<line x1="{LEFT}" x2="{LEFT + 28}" y1="{y:.1f}" y2="{y:.1f}" stroke="{line.colour}" '
                   f'stroke-width="2.5"{dash}/>')
        out.append(text(LEFT + 36, y + FONT / 3, fitted(line.name, WIDTH - LEFT - 40), "start"))
    return "".join(out) + "</svg>"
