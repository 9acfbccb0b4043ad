"""The seed's lesson in Chromium, in both languages: each step opened by its link, the batch's sums along each dim at
8 and 64, a question answered (and the explanation it opens), a map picked in place, Clear giving back a fresh page,
and the class's address."""
import re

import pytest
from playwright.sync_api import expect

from harness import draw, open_app, open_step
from web.registry import STEPS
from web.text import EN, ES

WORDS = {"en-US": EN, "es-ES": ES}
LANG = {"en-US": "en", "es-ES": "es"}
DECIMAL = {"en-US": ".", "es-ES": ","}


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_each_step_opens_by_its_link_in_the_language_it_asks_for(browser, app_url, locale):
    lang = LANG[locale]
    for step in STEPS:
        page = open_app(browser, f"{app_url}?step={step.id}&lang={lang}", locale="en-US")
        expect(page.locator(f"#step-{step.id}-button")).to_have_attribute("aria-selected", "true")
        expect(page.locator(f"#step-{step.id}")).to_contain_text(WORDS[locale][step.title])
        expect(page.locator("#clear")).to_have_text(WORDS[locale]["clear"])
        page.context.close()


def test_a_step_s_tab_puts_it_in_the_address_and_the_door_refuses_an_unknown_one(open_page, app_url):
    page = open_page()
    open_step(page, "stride")
    expect(page).to_have_url(re.compile(r"\?step=stride$"))
    refused = page.request.get(f"{app_url}?step=%3Cscript%3E")
    assert refused.status == 400 and "?step=" in refused.json()["error"]


def rows(page) -> list[list[str]]:
    """The batch table's rows as the page shows them: the probabilities, then the row's sum."""
    return page.evaluate("""() => [...document.querySelectorAll('#batch .bt-table tbody tr')]
        .filter((r) => r.offsetParent !== null).map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent))""")


def column_sums(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('#batch .bt-table tfoot td')]
        .filter((c) => c.offsetParent !== null).map((c) => c.textContent).slice(0, 10)""")


def batch_of(page, size: int, dim: int) -> list[list[str]]:
    """The batch table once it shows size rows normalised along dim."""
    page.locator("#batch-size input[type=number]").fill(str(size))
    page.locator("#batch-size input[type=number]").press("Enter")
    page.locator("#batch-dim label", has_text=str(dim)).click()
    page.wait_for_function("""([n, d]) => [...document.querySelectorAll('#batch .bt-table caption')]
        .some((c) => c.offsetParent !== null && c.textContent.includes(`dim=${d}`)
                     && document.querySelectorAll('#batch .bt-table tbody tr').length >= n)""", arg=[size, dim])
    page.wait_for_timeout(300)
    return rows(page)


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_the_batch_sums_each_image_s_row_under_dim_1_and_each_column_under_dim_0(open_page, digit_strokes, locale):
    page = open_page(locale=locale)
    draw(page, digit_strokes["7"])
    open_step(page, "dim1")
    one = f"1{DECIMAL[locale]}00"
    found = {}
    for size in (8, 64):
        for dim in (1, 0):
            table = batch_of(page, size, dim)
            assert len(table) == size
            if dim == 1:
                assert {row[-1] for row in table} == {one}  # every row sums to 1
            else:
                assert set(column_sums(page)) == {one}  # every column sums to 1
            found[size, dim] = table[0][:10]  # the drawing's row
    assert found[8, 1] == found[64, 1]  # dim=1: the drawing's row is its own, whatever else is in the batch
    assert found[8, 0] != found[64, 0]  # dim=0: it changes with the batch
    expect(page.locator("#batch")).to_contain_text("[64, 10]")
    expect(page.locator("#batch")).to_contain_text("1x2304")


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_a_question_answered_says_right_or_wrong_and_why(open_page, digit_strokes, locale):
    page = open_page(locale=locale)
    draw(page, digit_strokes["7"])
    open_step(page, "padding")
    question, explained = page.locator("#question-padding"), page.locator("#padding-intro")
    expect(explained).to_contain_text(WORDS[locale]["question.reveal"])
    expect(explained.get_by_text("⌊(28 + 2·1 − 3)/1⌋ + 1 = 28")).to_have_count(0)  # folded until answered
    question.locator("button >> visible=true", has_text="26").click()
    expect(question).to_contain_text(WORDS[locale]["question.right"])
    expect(explained).to_contain_text("⌊(28 + 2·1 − 3)/1⌋ + 1 = 28")  # then the step's explanation opens
    question.locator("button >> visible=true", has_text="30").click()
    expect(question.locator("button.qn-wrong")).to_have_count(1)
    expect(question.locator("button.qn-right")).to_have_text("26")


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_a_map_picked_opens_its_filter_beside_the_maps_without_leaving_them(open_page, digit_strokes, locale):
    page = open_page(viewport={"width": 1366, "height": 768}, locale=locale)
    draw(page, digit_strokes["7"])
    conv2 = page.locator("#act-conv2 button[data-index='20']")
    conv2.scroll_into_view_if_needed()
    before = page.evaluate("window.scrollY")
    conv2.click()
    expect(page.locator("#kernel-detail")).to_contain_text(re.compile(r"conv2, filt(er|ro) 20:"))
    page.wait_for_timeout(500)
    assert abs(page.evaluate("window.scrollY") - before) <= 768  # at most one screen
    expect(page.locator("#kernel-detail img")).to_be_in_viewport(ratio=0.3)


def texts(page) -> dict[str, str]:
    """What every step shows, step by step, and the pad's column."""
    out = {"pad": page.locator("#pad-column").inner_text()}
    for step in STEPS:
        open_step(page, step.id)
        page.wait_for_timeout(400)
        out[step.id] = page.locator(f"#step-{step.id}").inner_text()
    open_step(page, STEPS[0].id)
    return out


def test_clear_gives_the_next_learner_a_fresh_page(browser, app_url, open_page, digit_strokes, tmp_path):
    fresh = open_app(browser, app_url)
    expected = texts(fresh)
    fresh.context.close()
    page = open_page()
    draw(page, digit_strokes["7"])
    open_step(page, "padding")
    page.locator("#sandbox-padding label", has_text="0").click()
    expect(page.locator("#sandbox")).to_contain_text("= 26")
    open_step(page, "dim1")
    page.locator("#question-dim1 button >> visible=true").first.click()
    expect(page.locator("#question-dim1 .qn-said")).not_to_have_count(0)
    open_step(page, "experiments")
    page.locator("#scale input[type=number]").fill("1.2")
    page.locator("#scale input[type=number]").press("Enter")
    open_step(page, "learning")
    page.locator("#learning-step input[type=number]").fill("0")
    page.locator("#learning-step input[type=number]").press("Enter")
    with page.expect_file_chooser() as chooser:
        page.click("#upload")
    from mnist_cnn.strokes import draw_strokes  # a picture of a 1, uploaded in place of the drawing
    draw_strokes(digit_strokes["1"]).save(tmp_path / "one.png")
    chooser.value.set_files(str(tmp_path / "one.png"))
    expect(page.locator("#prediction .output-class")).to_have_text("1")
    page.click("#clear")
    expect(page.locator("#prediction .output-class")).to_have_count(0)
    expect(page.locator("#step-model-button")).to_have_attribute("aria-selected", "true")
    page.wait_for_timeout(1000)
    assert texts(page) == expected


def test_the_class_gets_the_page_s_address_and_its_code_reads_back_to_it(open_page, app_url):
    zxingcpp = pytest.importorskip("zxingcpp")
    from io import BytesIO

    from PIL import Image

    page = open_page()
    open_step(page, "class")
    link = page.locator("#class-link")
    address = link.locator(".class-link-url >> visible=true").inner_text().strip()
    port = app_url.rstrip("/").rsplit(":", 1)[1]
    assert address.startswith("http") and address.rstrip("/").endswith(f":{port}")
    code = link.locator("svg >> visible=true").first
    box = code.bounding_box()
    assert box["width"] >= 100 and box["height"] >= 100
    read = zxingcpp.read_barcodes(Image.open(BytesIO(code.screenshot())))
    assert [r.text for r in read] == [address]
