"""The live pen: readings while the pen moves fill the prediction and the panels, and one sent before a pen-up never
overwrites the pen-up's reading, in the handlers, through the raw queue and in Chromium."""
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import pytest
from playwright.sync_api import expect

from harness import Session, events, pad_data
from mnist_cnn.strokes import draw_strokes
from web.door import PER_SESSION
from web.handlers import Pen
from web.registry import LIVE
from web.widgets import READ, data_url

SEVEN = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]
BAR = [[(0.15, 0.08), (0.85, 0.08)]]  # the 7 before its stem: a part of the drawing


def test_a_live_reading_fills_the_prediction_and_the_input_only(page):
    out = page.sketch(1, data_url(draw_strokes(SEVEN)), None, None, Pen(), "en")
    assert set(out) == set(LIVE) and out["pad"] == READ and "<img" in out["input28"]
    assert "input28" not in page.sketch(1, data_url(draw_strokes(SEVEN)), None, None, Pen(), "en", "dim1")
    assert max(out["prediction"], key=out["prediction"].get) == "7"
    whole = page.pen_up(2, data_url(draw_strokes(SEVEN)), None, None, Pen(), "en")
    assert whole["prediction"] == out["prediction"] and "current" in whole  # the pen-up fills the rest too


def test_a_live_reading_sent_before_the_pen_up_changes_nothing(page):
    pen = Pen()
    assert page.pen_up(5, data_url(draw_strokes(SEVEN)), None, None, pen, "en")["prediction"]
    assert pen.whole == 5
    for count in (1, 4, 5):
        assert page.sketch(count, data_url(draw_strokes(BAR)), None, None, pen, "en") == {}
    assert page.sketch(6, data_url(draw_strokes(BAR)), None, None, pen, "en")["prediction"]  # the next stroke's
    page.pen_up(3, data_url(draw_strokes(SEVEN)), None, None, pen, "en")  # an older pen-up is read, the pen kept
    assert pen.whole == 5


@pytest.mark.parametrize("count", [None, "7", True, 1.5, float("inf"), -1, 0, 2 ** 60, [1], {"n": 1}])
def test_a_bad_count_changes_nothing_live_and_the_pen_up_still_reads(page, count):
    pen = Pen(whole=3)
    assert page.sketch(count, data_url(draw_strokes(SEVEN)), None, None, pen, "en") == {}
    out = page.pen_up(count, data_url(draw_strokes(SEVEN)), None, None, pen, "en")
    assert max(out["prediction"], key=out["prediction"].get) == "7" and pen.whole == 3


@pytest.mark.parametrize("value", ["", None, "data:image/png;base64,!!", 7, {"path": "/etc/passwd"}])
def test_a_live_reading_of_a_bad_or_empty_pad_changes_nothing(page, value):
    assert page.sketch(1, value, None, None, Pen(), "en") == {}


def skipped(message: dict) -> bool:
    """Whether an answer changes nothing on the page (every output gr.skip())."""
    return all(v is None or isinstance(v, dict) and v.get("__type__") == "update" and "value" not in v
               for v in message["output"]["data"])


def test_through_the_queue_a_pen_up_overtakes_the_live_readings_and_is_not_overwritten(app_url):
    """One session sends live readings of a part of a 7 and, before they are answered, the whole 7: every live
    answer that comes after the pen-up's changes nothing, so the page is left with the whole drawing's reading."""
    found = events(app_url)
    sketch, drawn = (next(e["fn_index"] for e in found if e["trigger"] and e["trigger"][0][1] == kind)
                     for kind in ("sketch", "drawn"))
    session, order = Session(app_url), []
    with ThreadPoolExecutor(24) as pool:  # more live readings than the page would send: a backlog on the server
        live = [pool.submit(session.call, sketch, pad_data(data_url(draw_strokes(BAR))), {"n": n})
                for n in range(1, PER_SESSION)]  # the door keeps one more place for the pen-up
        for future in live:
            future.add_done_callback(order.append)  # in the order the answers come
        wait(live, return_when=FIRST_COMPLETED)
        whole = pool.submit(session.call, drawn, pad_data(data_url(draw_strokes(SEVEN))), {"n": PER_SESSION})
        whole.add_done_callback(order.append)
        answers = [f.result() for f in live]
    assert whole.result()["success"] and all(a["success"] for a in answers)
    assert whole.result()["output"]["data"][0]["label"] == "7"
    after = order[order.index(whole) + 1:]
    assert all(skipped(f.result()) for f in after)
    assert any(skipped(a) for a in answers), "every live reading came before the pen-up: nothing was checked"


def test_in_chromium_the_prediction_follows_the_pen_and_the_pen_up_has_the_last_word(open_page):
    """A 7's bar drawn slowly, the pen still down: a prediction and the 28×28 input appear (the maps wait for the
    pen-up); then its stem, drawn fast and lifted at once: the page settles on the whole 7, whatever live readings were
    still on their way, and the maps fill in."""
    page = open_page()
    box = page.locator("#draw canvas").bounding_box()

    def at(x: float, y: float) -> tuple[float, float]:
        return box["x"] + (0.15 + 0.7 * x) * box["width"], box["y"] + (0.15 + 0.7 * y) * box["height"]
    page.mouse.move(*at(0.15, 0.08))
    page.mouse.down()
    for i in range(1, 11):  # about a second of pen movement
        page.mouse.move(*at(0.15 + 0.07 * i, 0.08))
        page.wait_for_timeout(100)
    prediction = page.locator("#prediction .output-class")
    expect(prediction).to_have_count(1)  # read while the pen is still down
    expect(page.locator("#input28 img")).to_have_count(1)  # and what the network sees
    expect(page.locator("#act-conv1 img")).to_have_count(0)
    for i in range(1, 11):
        page.mouse.move(*at(0.85 - 0.045 * i, 0.08 + 0.087 * i))
    page.mouse.up()
    expect(prediction).to_have_text("7")
    page.wait_for_timeout(1500)  # any live reading still on its way has come back by now
    expect(prediction).to_have_text("7")
    expect(page.locator("#act-conv1 img")).to_have_count(1)
    expect(page.locator("#status")).to_have_text("")
