"""The page's own SVG charts (web/plots.py): round ticks, numbers in the page's language, coloured lines, a legend
inside the box, and words for those who cannot see it."""
import re

import pytest

from web import plots

LINES = [plots.Line("rising", [(0, 0.0), (5000, 0.25), (10_700, 1.0)], plots.SERIES[0]),
         plots.Line("a moment", [(4000, 0.0), (4000, 1.0)], plots.INK, dashed=True)]


def chart(lang: str) -> str:
    return plots.line_chart(LINES, "Title", "step", "value", lang, y_ticks=[0, 0.5, 1.0], y_label=plots.percent_label)


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_ticks_are_round_and_inside():
    assert plots.ticks(0, 10_710, 7) == [0, 2000, 4000, 6000, 8000, 10_000]
    assert plots.ticks(-8, 8, 9) == [-8, -6, -4, -2, 0, 2, 4, 6, 8]
    assert plots.ticks(0, 2.25) == [0, 0.5, 1.0, 1.5, 2.0]
    assert plots.ticks(0.1, 0.35) == pytest.approx([0.1, 0.15, 0.2, 0.25, 0.3, 0.35])


@pytest.mark.parametrize("v, step, en, es", [
    (10_000, 2000, "10,000", "10\u00a0000"), (2000, 2000, "2,000", "2000"), (0.5, 0.5, "0.5", "0,5"),
    (-8, 2, "−8", "−8"), (0, 0.25, "0.00", "0,00")])
def test_tick_labels_are_written_the_language_s_way(v, step, en, es):
    assert plots.tick_label(v, step, "en") == en and plots.tick_label(v, step, "es") == es


def test_the_chart_is_in_the_page_s_language():
    en, es = chart("en"), chart("es")
    assert {"0%", "50%", "100%", "10,000"} <= set(texts(en)) and "10,000" not in es
    assert {"0\u00a0%", "50\u00a0%", "100\u00a0%", "10\u00a0000", "2000"} <= set(texts(es))
    assert not any(re.search(r"\d[.,]\d{3}\b", s) for s in texts(es))  # no thousands with a point or comma


def test_every_line_has_a_colour_and_its_legend_entry():
    svg = chart("es")
    strokes = re.findall(r'<polyline[^>]*stroke="([^"]+)"', svg)
    assert strokes == [plots.SERIES[0], plots.INK]  # one colour each, none "none"
    assert "stroke-dasharray" in svg and {"rising", "a moment"} <= set(texts(svg))


def test_the_legend_and_every_text_stay_inside_the_box():
    svg = plots.line_chart([plots.Line("a very long name " * 10, [(0, 0), (1, 1)], plots.SERIES[1])], "T", "x", "y",
                           "en")
    width, height = map(float, re.search(r'viewBox="0 0 (\S+) (\S+)"', svg).groups())
    for x, y, anchor, s in re.findall(r'<text x="(\S+)" y="(\S+)" text-anchor="(\w+)"[^>]*>([^<]*)</text>', svg):
        room = len(s) * plots.CHAR
        left = float(x) - {"start": 0, "middle": room / 2, "end": room}[anchor]
        assert 0 <= float(y) <= height and (left >= 0 and left + room <= width or "rotate" in svg), s
    assert "…" in svg  # the long name is cut, not clipped


def test_the_chart_is_an_image_with_words():
    svg = chart("es")
    assert svg.startswith("<svg") and 'role="img"' in svg and 'width="100%"' in svg and "viewBox" in svg
    label = re.search(r'aria-label="([^"]+)"', svg).group(1)
    assert label.startswith("Title") and "rising: de 0\u00a0% a 100\u00a0%" in label
    assert f"<title>{label}</title>" in svg
