"""The page in each language as a learner sees it in Chromium, on a desktop, a projector and a phone: after a drawing
and after every control has been moved to its ends, nothing shows a raw key, the other language's words, the other
language's numbers, a line without colour, a picture too small to read, or text past its box.

Everything is found by element id or by what it is (an <img> in a picture view, a chart's lines), never by where it
sits, so that the test holds however the page is laid out; the steps' tabs, if any, are each opened in turn.
"""
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from harness import draw
from web.registry import SANDBOX, STEPS, WHAT_IF
from web.text import EN, ES

SIZES = {"desktop": {"width": 1366, "height": 768}, "projector": {"width": 683, "height": 512},
         "phone": {"width": 390, "height": 844}}
LOCALES = {"en": "en-US", "es": "es-ES"}
SEVEN = [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]]
SMALLEST = 112  # px: the narrowest a picture a learner must read may be shown
CHARTS = ("shift-curve", "loss-curve")  # the page's line charts, by element id
SANDBOXES = ("#sandbox", "#sandbox-strided")  # what a sandbox control changes, in the step it is in
WORD = re.compile(r"[^\W\d_]{4,}")  # a word of 4 letters or more: shorter ones (de, la, in, on) are too often shared


def words(texts: dict) -> set[str]:
    """The words of a language's texts, without their %(name)s placeholders."""
    return {w.lower() for s in texts.values() for w in WORD.findall(re.sub(r"%\(\w+\)s", "", s))}


# The words only one language's texts use: standing alone on the other language's page, they are that language's
ONLY = {"en": words(EN) - words(ES), "es": words(ES) - words(EN)}
OTHER = {"en": "es", "es": "en"}
ADDRESS = re.compile(r"https?://\S+|\b\d{1,3}(?:\.\d{1,3}){3}\b")  # a URL, or an IP address (the class link's)

# Every text node and every alt, title and aria-label, with whether it is on screen, code, or in an SVG chart
GATHER_JS = """() => {
  const shown = (el) => el.checkVisibility({checkVisibilityCSS: true, checkOpacity: true});
  const texts = [], attrs = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement, s = n.nodeValue.trim();
    if (!s || !el || el.closest('script, style, noscript, template')) continue;
    texts.push({text: s, shown: shown(el), code: !!el.closest('pre, code'), chart: !!el.closest('svg'),
                id: (el.closest('[id]:not([id^="html-"])') || {}).id || ''});
  }
  for (const el of document.querySelectorAll('[alt], [title], [aria-label]'))
    for (const a of ['alt', 'title', 'aria-label']) {
      const v = el.getAttribute(a);
      if (v) attrs.push({text: v, shown: shown(el), code: false, chart: false, attr: a,
                         id: (el.closest('[id]:not([id^="html-"])') || {}).id || ''});
    }
  return texts.concat(attrs);
}"""
# The pictures a learner reads, as shown: every <img> of the page's picture views but the thumbnails that name
# something (the digits' buttons, a table's row of the batch), whose words say what they show
PICTURES_JS = """() => [...document.querySelectorAll('.picture img')].filter(
    (im) => im.checkVisibility() && !im.closest('.digits, th')).map(
    (im) => ({id: (im.closest('[id]:not([id^="html-"])') || {}).id, width: im.getBoundingClientRect().width}))"""
# Every line of a chart (the page's SVG, or a Vega chart's marks) with the stroke it is drawn with
LINES_JS = """(charts) => [...document.querySelectorAll('g.mark-line path, svg polyline, svg path')].filter(
    (l) => l.checkVisibility() && (l.closest('g.mark-line') || charts.some((id) => l.closest(`#${id}`)))).map((l) => {
  const s = getComputedStyle(l);
  const chart = charts.find((id) => l.closest(`#${id}`));
  return {id: chart || (l.closest('[id]:not([id^="html-"])') || {}).id, stroke: s.stroke, opacity: s.strokeOpacity};
})"""
# Text blocks whose text runs past their own box, or past the screen's right edge, outside boxes that scroll sideways
# (a box that hides what runs past it is no excuse: that is text cut off)
OVERFLOW_JS = """() => {
  const out = [], right = document.documentElement.clientWidth;
  const scrolls = (el) => { for (let e = el; e; e = e.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(e).overflowX)) return true; } return false; };
  for (const el of document.querySelectorAll('p, pre, li, td, th, h1, h2, h3, h4, label, .prose, .picture')) {
    if (!el.checkVisibility() || scrolls(el.parentElement)) continue;
    const style = getComputedStyle(el);
    const past = el.scrollWidth > el.clientWidth + 1 && style.overflowX === 'visible' && el.clientWidth > 0;
    if (past || el.getBoundingClientRect().right > right + 1)
      out.push({id: (el.closest('[id]:not([id^="html-"])') || {}).id, text: el.innerText.slice(0, 80)});
  }
  return out;
}"""


# Resolves once the page has not changed for QUIET ms (at most 10 s): a step's panels are made when its tab opens,
# and what a learner reads is what they settle to, not the old panels of the instant before
SETTLED_JS = """(quiet) => new Promise((resolve) => {
  let timer = setTimeout(done, quiet);
  const watch = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, quiet); });
  const cap = setTimeout(done, 10000);
  function done() { watch.disconnect(); clearTimeout(cap); resolve(); }
  watch.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
})"""
QUIET = 500


def open_tab(page, tab) -> None:
    """Open a tab (a step) and wait until its panels have settled. Clicked by script: on a narrow screen Gradio
    folds the tabs that do not fit into a menu, where the button is not on screen."""
    tab.evaluate("(button) => button.click()")
    page.evaluate(SETTLED_JS, QUIET)


def tabs(page) -> list:
    """The page's tabs (its steps), if it has any, found by their names: on a narrow screen Gradio shows some as
    tabs and folds the others into a menu of plain buttons (the last button of a name is the one that opens it)."""
    names = [texts[step.tab] for step in STEPS for texts in (EN, ES) if step.tab in texts]
    buttons = page.locator("[role=tab], .tab-wrapper button")
    found = [buttons.filter(has_text=re.compile(rf"^\s*(\d+\.\s*)?{re.escape(name)}\s*$")).last for name in names]
    return [tab for tab in found if tab.count()]


def reveal(page, selector: str) -> None:
    """Open the tab that holds selector, if it is not on screen."""
    target = page.locator(selector).first
    for tab in [None, *tabs(page)]:
        if tab is not None:
            open_tab(page, tab)
        if target.is_visible():
            target.scroll_into_view_if_needed()
            return


def html(page, selectors: tuple) -> list:
    """The HTML of each selector's first element (None where there is none)."""
    return page.evaluate("(ss) => ss.map((s) => document.querySelector(s)?.innerHTML ?? null)", list(selectors))


def changed(page, selector: str | tuple, before) -> None:
    """Wait until the HTML of selector (or of any of several) is no longer before: the event has been answered."""
    selectors, before = ((selector,), [before]) if isinstance(selector, str) else (selector, before)
    page.wait_for_function("([ss, bs]) => ss.some((s, i) => (document.querySelector(s)?.innerHTML ?? null) !== bs[i])",
                           arg=[list(selectors), before])


def followed(page, before: str) -> None:
    """Wait for the experiments that follow a reading: the shift chart drawn again (a move that leaves it as it was,
    which no end of a slider does, is let pass after Playwright's wait)."""
    try:
        changed(page, "#shift-curve", before)
    except PlaywrightTimeout:
        pass


def raw_keys(found: list[dict], lang: str) -> list[str]:
    """Any text or attribute, on screen or not, that is a raw Gradio translation key."""
    return [f"{f['id']}: {f['text'][:80]}" for f in found if "__i18n__" in f["text"]]


def other_words(found: list[dict], lang: str) -> list[str]:
    """Words of the other language's own texts standing on this language's page (code aside)."""
    return sorted({f"{f['id']}: {w} in “{f['text'][:60]}”" for f in found if f["shown"] and not f["code"]
                   for w in WORD.findall(f["text"]) if w.lower() in ONLY[OTHER[lang]]})


def spanish_numbers(found: list[dict], lang: str) -> list[str]:
    """On the Spanish page: a decimal point, a percent sign without its space, an axis's thousands with a comma."""
    if lang != "es":
        return []
    bad = []
    for f in found:
        if not f["shown"] or f["code"]:
            continue
        s = ADDRESS.sub("", f["text"])  # a web address is not a number
        if re.search(r"\d\.\d", s) or re.search(r"\d%", s) or f["chart"] and re.search(r"\b[1-9]\d{0,2},\d{3}\b", s):
            bad.append(f"{f['id']}: {s[:80]}")
    return bad


def colourless(page) -> list[str]:
    """Chart lines drawn without a colour; and the loss chart, which always has its lines, shown without them."""
    lines = page.evaluate(LINES_JS, list(CHARTS))
    bad = [f"{line['id']}: stroke {line['stroke']}" for line in lines
           if line["stroke"] in ("none", "", "rgba(0, 0, 0, 0)", "transparent") or float(line["opacity"]) == 0]
    loss = page.locator("#loss-curve").first
    if loss.count() and loss.is_visible() and not any(line["id"] == "loss-curve" for line in lines):
        bad.append("loss-curve: no line")
    return bad


def too_small(page) -> list[str]:
    """Pictures a learner must read shown under SMALLEST px wide."""
    return [f"{p['id']}: {p['width']:.0f} px" for p in page.evaluate(PICTURES_JS) if 0 < p["width"] < SMALLEST]


def past_box(page) -> list[str]:
    """Text that runs past its box or off the screen."""
    return [f"{o['id']}: {o['text']}" for o in page.evaluate(OVERFLOW_JS)]


# Gradio's own progress (a timer over an output still being made), on screen
BUSY_JS = """() => [...document.querySelectorAll('.progress-text, .eta-bar, .progress-bar')].some(
    (e) => e.checkVisibility({checkVisibilityCSS: true, checkOpacity: true}))"""


def check(page, lang: str, when: str, every_tab: bool = False) -> list[str]:
    """Everything wrong on the page now, each prefixed by when (after what) it was seen, once Gradio shows no
    output still being made: in the tab on screen (where the control just moved is), or in every tab (the text of
    a hidden tab is not on screen), each opened in turn."""
    said = []
    for tab in [None, *(tabs(page) if every_tab else ())]:
        if tab is not None:
            open_tab(page, tab)
        page.wait_for_function(f"() => !({BUSY_JS})()")
        found = page.evaluate(GATHER_JS)
        said += [*raw_keys(found, lang), *other_words(found, lang), *spanish_numbers(found, lang), *colourless(page),
                 *too_small(page), *past_box(page)]
    return [f"{s} (after {when})" for s in sorted(set(said))]


def slider_ends(page, lang: str, key: str, ends: tuple, watch: str) -> list[str]:
    """Move a slider to each of its ends (by its range input), each answered (watch's HTML changes); the problems
    seen after each."""
    said = []
    for end in ends:
        reveal(page, f"#{key}")
        before, curve = page.locator(watch).first.inner_html(), page.locator("#shift-curve").first.inner_html()
        page.locator(f"#{key} input[type=range]").fill(str(end))
        changed(page, watch, before)
        if watch == "#input28":  # a reading: the experiments follow it
            followed(page, curve)
        said += check(page, lang, f"{key} = {end}")
    return said


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LOCALES)
def test_the_page_speaks_one_language_in_its_own_format_and_shows_it_whole(open_page, lang, size):
    page = open_page(locale=LOCALES[lang], viewport=SIZES[size])
    assert page.evaluate("document.documentElement.lang").lower().startswith(lang)
    draw(page, SEVEN)
    expect(page.locator("#prediction .output-class")).to_have_text("7", timeout=30_000)
    reveal(page, "#shift-curve")
    expect(page.locator("#shift-curve svg, #shift-curve canvas, #shift-curve .vega-embed").first).to_be_visible(
        timeout=30_000)
    said = check(page, lang, "the drawing", every_tab=True)
    for key, (low, high, _) in WHAT_IF.items():  # every what-if slider to both ends, then the next
        said += slider_ends(page, lang, key, (low, high), "#input28")
    for key, (choices, _) in SANDBOX.items():  # every sandbox choice, each answered
        for choice in choices:
            reveal(page, f"#{key}")
            radio = page.locator(f"#{key} label", has_text=re.compile(rf"^\s*{choice}\s*$"))
            if radio.locator("input").is_checked():
                continue
            before = html(page, SANDBOXES)
            radio.click()
            changed(page, SANDBOXES, before)
            said += check(page, lang, f"{key} = {choice}")
    if page.locator("#learning-step input[type=range]").count():
        top = page.locator("#learning-step input[type=range]").get_attribute("max")
        said += slider_ends(page, lang, "learning-step", (0, top), "#learning")
    said += check(page, lang, "every control at its ends", every_tab=True)
    first = {}  # each problem once, with the first moment it was seen
    for problem in said:
        first.setdefault(problem.rsplit(" (after ", 1)[0], problem)
    assert not first, "\n".join(first.values())


@pytest.mark.parametrize("start, to", [("en", "es"), ("es", "en")])
def test_switching_the_language_writes_the_whole_page_again_in_the_other(open_page, start, to):
    page = open_page(locale=LOCALES[start], viewport=SIZES["desktop"])
    draw(page, SEVEN)
    expect(page.locator("#prediction .output-class")).to_have_text("7", timeout=30_000)
    reveal(page, "#shift-curve")
    expect(page.locator("#shift-curve svg").first).to_be_visible(timeout=30_000)
    page.locator(f".lang button[data-lang={to}]").click()
    # the reading again in the new language, then its experiments: the shift chart titled in it
    title = {"en": EN, "es": ES}[to]["what-if.curve-title"]
    page.wait_for_function("(t) => document.querySelector('#shift-curve')?.textContent.includes(t)", arg=title)
    said = check(page, to, f"switching to {to}", every_tab=True)
    if page.locator("#learning-step input[type=range]").count():
        said += slider_ends(page, to, "learning-step", (0,), "#learning")
    assert not said, "\n".join(sorted(set(said)))


def choose_file(page, button: str, path) -> None:
    """Give an upload button a file, as a person picks one in the file chooser."""
    with page.expect_file_chooser() as chooser:
        page.locator(button).first.click()
    chooser.value.set_files(str(path))


@pytest.mark.parametrize("lang", LOCALES)
def test_a_file_of_the_wrong_kind_is_refused_in_the_page_s_language(open_page, lang, tmp_path):
    import torch
    from PIL import Image

    from mnist_cnn.model import Net

    weights, picture = tmp_path / "m.pt", tmp_path / "seven.png"
    torch.save(Net().state_dict(), weights)
    Image.new("L", (28, 28), 255).save(picture)
    page = open_page(locale=LOCALES[lang], viewport=SIZES["desktop"])
    said = []
    for button, path, status, key in (("#upload", weights, "#status", "error.not_image"),
                                      ("#own-upload", picture, "#model-status", "own.error.extension")):
        reveal(page, button)
        choose_file(page, button, path)
        # the page's own sentence (not Gradio's English pop-up), in place of whatever the line said before
        sentence = {"en": EN, "es": ES}[lang][key].split("%(")[0]  # up to its first value
        expect(page.locator(status).first).to_have_text(re.compile(re.escape(sentence)), timeout=15_000)
        said += check(page, lang, f"{path.name} given to {button}")
    assert not said, "\n".join(sorted(set(said)))
