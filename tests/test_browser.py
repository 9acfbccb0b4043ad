"""The app in a real browser: Debian's Chromium driven by Playwright draws digits with the mouse, and with a finger on
a phone-sized page."""
import re

import pytest
from playwright.sync_api import expect

from harness import draw
from mnist_cnn.mistakes import load_mistakes
from web import text, views
from web.render import GRIDS, MARK, PAGE, PANELS


def predicted(page):
    return page.locator("#prediction .output-class")


def canvas_ink(page) -> int:
    """How many canvas pixels are not white."""
    return page.evaluate("""() => {
        const c = document.querySelector('#draw canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] < 250) n++;
        return n;
    }""")


def test_draw_read_every_panel_clear_and_draw_again(open_page, digit_strokes):
    page = open_page()
    draw(page, digit_strokes["7"])  # no tool picked first
    expect(predicted(page)).to_have_text("7")
    for key in PANELS:
        expect(page.locator(f"#{key} img")).to_have_attribute("src", re.compile(r"^data:image/png;base64,.+"))
    for key in ("kernel-detail", "saliency"):
        expect(page.locator(f"#{key} img")).to_have_count(1)
    expect(page.locator("#softmax-steps .l-en table")).to_be_visible()
    assert canvas_ink(page) > 1000
    rows = page.locator("#prediction .confidence-set")
    expect(rows.filter(visible=True)).to_have_count(3)  # the top 3, and all 10 on demand
    page.click("#all-ten input")
    expect(rows.filter(visible=True)).to_have_count(10)
    page.click("#all-ten input")
    expect(rows.filter(visible=True)).to_have_count(3)

    page.click("#clear")
    expect(predicted(page)).to_have_count(0)
    for key in PANELS + views.CLOSE_UP:
        expect(page.locator(f"#{key} img")).to_have_count(0)
        expect(page.locator(f"#{key}")).to_have_text("")
    assert canvas_ink(page) == 0

    draw(page, digit_strokes["0"])  # the pad still draws after Clear
    expect(predicted(page)).to_have_text("0")
    page.click("#clear")
    draw(page, digit_strokes["1"])
    expect(predicted(page)).to_have_text("1")
    for key in PANELS:
        expect(page.locator(f"#{key} img")).to_have_attribute("src", re.compile(r"^data:image/png;base64,.+"))


def click_map(page, panel: str, channel: int) -> None:
    """Click one feature map of a panel's picture (its button covers it, wherever the page has scaled it)."""
    page.locator(f"#{panel} button[data-index='{channel}']").click()


# true when the picture's pixel (x, y) has the frame colour of the chosen map (render.MARK)
FRAMED_JS = """([panel, x, y]) => {
  const img = document.querySelector(`#${panel} img`);
  if (!img || !img.complete || !img.naturalWidth) return false;
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const g = canvas.getContext('2d');
  g.drawImage(img, 0, 0);
  const [r, gr, b] = g.getImageData(x, y, 1, 1).data;
  return [r, gr, b].join() === '%s';
}""" % ",".join(map(str, PAGE[MARK]))


def framed(page, panel: str, channel: int) -> bool:
    """Whether the panel's picture, as the page shows it, frames that channel's map (a pixel of the 2-px ring)."""
    x, y = GRIDS[panel].origin(channel)
    return page.evaluate(FRAMED_JS, [panel, x - 1, y - 1])


def test_a_clicked_map_opens_its_filter_which_follows_the_drawing(open_page, digit_strokes):
    page = open_page()
    draw(page, digit_strokes["7"])
    expect(predicted(page)).to_have_text("7")
    detail = page.locator("#kernel-detail .l-en")  # the English half, the one shown on an English page
    expect(detail).to_contain_text("conv1, filter")  # before any click: the strongest map of conv1
    click_map(page, "act-conv1", 5)
    expect(detail).to_contain_text("conv1, filter 5:")
    expect(page.locator("#kernel-detail")).to_be_in_viewport()  # the page went down to it
    expect(detail).to_contain_text("= the value the map shows at this pixel")
    expect(detail.locator("table.kd-grid")).to_have_count(3)  # weights × patch = products
    expect(detail.locator("td").first).to_have_text(re.compile(r"^−?\d+\.\d{3}$"))
    expect(page.locator("#kernel-detail .l-es")).to_be_hidden()
    expect(page.locator("#kernel-detail img")).to_be_visible()

    page.click("#clear")
    expect(page.locator("#kernel-detail img")).to_have_count(0)  # cleared too, and the choice with it: a fresh page
    draw(page, digit_strokes["0"])
    expect(predicted(page)).to_have_text("0")
    page.wait_for_timeout(1500)  # the reading of the pen-up, after the live ones, has come back
    assert not framed(page, "act-conv1", 5)
    click_map(page, "act-conv1", 5)
    expect(detail).to_contain_text("conv1, filter 5:")
    page.wait_for_function(FRAMED_JS, arg=["act-conv1", *(v - 1 for v in GRIDS["act-conv1"].origin(5))])
    click_map(page, "act-conv2", 12)
    expect(detail).to_contain_text("conv2, filter 12:")
    expect(detail).to_contain_text("sum over the 32 channels")
    x, y = GRIDS["act-conv2"].origin(12)
    page.wait_for_function(FRAMED_JS, arg=["act-conv2", x - 1, y - 1])  # the clicked map is framed...
    assert not framed(page, "act-conv1", 5)  # ...and only it

    page.click("#lang button[data-lang=es]")  # the numbers' words switch language with the page
    expect(page.locator("#kernel-detail .l-es")).to_contain_text("conv2, filtro 12:")
    expect(detail).to_be_hidden()
    expect(page.locator("#act-conv1 img")).to_have_attribute("alt", re.compile(r"^conv1: 32 mapas de 28×28"))
    expect(page.locator("#kernel-detail .l-es td").first).to_have_text(re.compile(r"^−?\d+,\d{3}$"))
    expect(page.locator("#softmax-steps .l-es")).to_contain_text("Por qué dim=1")
    expect(page.locator("#saliency .l-es")).to_be_visible()


def test_a_misread_test_digit_is_read_like_a_drawing(open_page, digit_strokes):
    page = open_page()
    draw(page, digit_strokes["1"])
    expect(predicted(page)).to_have_text("1")
    mistakes = load_mistakes()
    for i in (0, 3):
        page.locator("#mistakes button:visible").nth(i).click()
        expect(predicted(page)).to_have_text(str(mistakes[i]["guess"]))  # the network's wrong guess
        expect(page.locator("#saliency .l-en")).to_contain_text(f"“{mistakes[i]['guess']}”")
    assert canvas_ink(page) == 0  # the drawing made way for the test digit
    for key in PANELS:
        expect(page.locator(f"#{key} img")).to_have_count(1)


def test_undo_removes_the_last_stroke(open_page, digit_strokes):
    page = open_page()
    draw(page, digit_strokes["1"])
    expect(predicted(page)).to_have_text("1")
    draw(page, [[(0.05, 0.5), (0.95, 0.5)]])  # a bar across: no longer a 1
    expect(predicted(page)).not_to_have_text("1")
    page.click("#undo")
    expect(predicted(page)).to_have_text("1")
    page.click("#undo")  # nothing left: no answer
    expect(predicted(page)).to_have_count(0)
    assert canvas_ink(page) == 0


def test_a_dot_is_not_a_digit(open_page):
    page = open_page()
    box = page.locator("#draw canvas").bounding_box()
    page.mouse.click(box["x"] + 140, box["y"] + 140)
    expect(page.locator("#status")).to_have_text(text.EN["error.dot"])
    expect(predicted(page)).to_have_count(0)


def test_an_example_is_read_like_a_drawing(open_page):
    page = open_page()
    page.locator("#examples button:visible").nth(3).click()  # the examples are the digits 0 to 9 in order
    expect(predicted(page)).to_have_text("3")
    expect(page.locator("#act-output img")).to_have_count(1)


@pytest.mark.parametrize("locale, lang", [("es-ES", "ES"), ("en-US", "EN")])
def test_page_follows_the_browser_language_and_switches(open_page, locale, lang):
    page = open_page(locale=locale)
    words, other = (text.ES, text.EN) if lang == "ES" else (text.EN, text.ES)
    expect(page.locator("h1").first).to_have_text(words["app.title"])
    expect(page.locator("#clear")).to_have_text(words["clear"])
    page.click(f"#lang button[data-lang={'en' if lang == 'ES' else 'es'}]")
    expect(page.locator("h1").first).to_have_text(other["app.title"])
    expect(page.locator("#clear")).to_have_text(other["clear"])


def touch_draw(page, strokes) -> None:
    """Draw strokes with a finger: real touch events (Chromium's DevTools protocol), which the page sees as pointer
    events of type "touch", on the middle 70% of the canvas."""
    cdp = page.context.new_cdp_session(page)
    box = page.locator("#draw canvas").bounding_box()
    for stroke in strokes:
        at = [{"x": box["x"] + (0.15 + 0.7 * x) * box["width"], "y": box["y"] + (0.15 + 0.7 * y) * box["height"]}
              for x, y in stroke]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at[0]]})
        for point in at[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_a_phone_draws_with_a_finger_without_scrolling_the_page(open_page, digit_strokes):
    page = open_page(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True)
    pad = page.locator("#draw canvas").bounding_box()
    assert pad["x"] >= 0 and pad["x"] + pad["width"] <= 390  # the whole pad fits the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # and nothing scrolls sideways
    page.locator("#draw canvas").scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    touch_draw(page, digit_strokes["7"])
    expect(predicted(page)).to_have_text("7")
    assert page.evaluate("window.scrollY") == scrolled  # the finger drew; it did not scroll the page
    page.context.close()


def test_a_map_is_picked_by_keyboard(open_page, digit_strokes):
    page = open_page()
    draw(page, digit_strokes["7"])
    expect(predicted(page)).to_have_text("7")
    first = page.locator("#act-conv1 button[data-index='0']")
    for _ in range(80):  # Tab through the page until a map of conv1 has the focus
        page.keyboard.press("Tab")
        if first.evaluate("(b) => b === document.activeElement"):
            break
    else:
        raise AssertionError("no Tab stop on the maps of conv1")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # a visible focus
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.locator("#kernel-detail .l-en")).to_contain_text("conv1, filter 2:")


def test_a_slow_stroke_is_read_before_the_pen_lifts(open_page):
    page = open_page()
    box = page.locator("#draw canvas").bounding_box()
    at = lambda x, y: (box["x"] + x * box["width"], box["y"] + y * box["height"])  # noqa: E731
    page.mouse.move(*at(0.5, 0.1))
    page.mouse.down()
    for i in range(1, 21):  # a 1, drawn slowly from top to bottom
        page.mouse.move(*at(0.5, 0.1 + 0.04 * i))
        page.wait_for_timeout(40)
    expect(predicted(page)).to_have_text("1")  # while the pen is still down
    page.mouse.up()
    expect(predicted(page)).to_have_text("1")
