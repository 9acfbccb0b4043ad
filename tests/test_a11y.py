"""Classroom-ready: axe-core finds nothing serious in either language, the pad and the prediction share a projector's
screen, a phone scrolls only down, and the keyboard reaches everything with a visible focus (Debian's Chromium)."""
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from harness import open_step
from web import text

# installed by the README's test command (npm install --no-save axe-core@4)
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
PROJECTOR = {"width": 683, "height": 512}  # 1024×768 at 150%
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
PICTURE_TEXT = 12  # px: the text drawn in the pictures (render.FONT)
# the formal "usted" of Gradio's own Spanish texts ("Haga clic para cargar", "Cargue una imagen"...): the app says tú
USTED = re.compile(r"\b(usted|haga|suelte|arrastre|cargue|seleccione|pegue|intente|espere|asegúrese|"
                   r"compruebe|introduzca|pulse)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def axe() -> str:
    if not AXE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: the test command installs it (npm install --no-save axe-core@4)")
        pytest.skip("needs axe-core: npm install --no-save axe-core@4")
    return AXE.read_text()


def draw(page, strokes) -> None:
    """Draw strokes given in the unit square with the mouse on the middle 70% of the pad, and wait for the answer."""
    box = page.locator("#draw canvas").bounding_box()
    for stroke in strokes:
        at = [(box["x"] + (0.15 + 0.7 * x) * box["width"], box["y"] + (0.15 + 0.7 * y) * box["height"])
              for x, y in stroke]
        page.mouse.move(*at[0])
        page.mouse.down()
        for point in at[1:]:
            page.mouse.move(*point, steps=4)
        page.mouse.up()
    expect(page.locator("#prediction .output-class")).to_have_text("7")
    expect(page.locator("#act-conv1 img")).to_have_count(1)


def box_within(box: dict, width: float, height: float) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height


@pytest.mark.parametrize("locale, words", [("en-US", text.EN), ("es-ES", text.ES)])
def test_axe_finds_nothing_serious_and_the_tab_is_named(open_page, digit_strokes, axe, locale, words):
    page = open_page(locale=locale)
    draw(page, digit_strokes["7"])
    page.wait_for_timeout(500)  # the experiments that follow a reading have come back too
    page.add_script_tag(content=axe)
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' '))}))""")
    serious = [v for v in violations if v["impact"] in ("critical", "serious")]
    assert serious == [], serious
    assert page.title() == words["app.tab"]  # the browser tab, in the page's language
    if locale == "es-ES":  # nothing a learner sees or hears addresses them as "usted"
        said = page.evaluate("""() => [document.body.innerText, ...[...document.querySelectorAll(
            '[aria-label], [title], [alt], [placeholder]')].filter((e) => e.checkVisibility())
            .flatMap((e) => ['aria-label', 'title', 'alt', 'placeholder'].map((a) => e.getAttribute(a) || ''))]
            .join('\\n')""")
        assert not USTED.findall(said), USTED.findall(said)


def test_a_projector_shows_the_pad_and_the_prediction_together(open_page, digit_strokes):
    page = open_page(viewport=PROJECTOR, device_scale_factor=1.5)
    draw(page, digit_strokes["7"])
    assert page.evaluate("window.scrollY") == 0
    for selector in ("#draw canvas", "#prediction"):
        box = page.locator(selector).bounding_box()
        assert box_within(box, **PROJECTOR), (selector, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= PROJECTOR["width"]


def test_a_phone_scrolls_only_down_and_its_pictures_can_be_read(open_page, digit_strokes):
    page = open_page(locale="es-ES", **PHONE)
    draw(page, digit_strokes["7"])
    width = PHONE["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    steps = page.locator("#softmax-steps .l-es table")
    expect(steps).to_be_visible()
    assert box_within(steps.bounding_box(), width, 10**6)  # the softmax table fits: no hidden sideways scroll
    assert page.evaluate("(t) => t.closest('#softmax-steps').scrollWidth <= t.closest('#softmax-steps').clientWidth",
                         steps.element_handle())
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('#softmax-steps td')).fontSize)") >= 10

    # a picture scaled down to the screen shrinks its text below 10 px; "Ampliar" shows it at full size
    img = page.locator("#act-conv1 img")
    natural, shown = img.evaluate("(i) => [i.naturalWidth, i.getBoundingClientRect().width]")
    assert PICTURE_TEXT * shown / natural < 10  # why the button is there
    zoom = page.locator("#act-conv1 button.zoom")
    expect(zoom).to_be_visible()
    expect(zoom).to_have_accessible_name(text.ES["picture.zoom"])
    zoom.click()
    expect(zoom).to_have_attribute("aria-pressed", "true")
    assert img.evaluate("(i) => i.getBoundingClientRect().width") == natural  # text at its full 12 px
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # the picture scrolls in its own box,
    box = page.locator("#act-conv1 .pic")
    assert box.evaluate("(b) => b.scrollWidth > b.clientWidth && b.tabIndex === 0")  # which the keyboard reaches
    assert box_within(box.bounding_box(), width, 10**6)
    page.locator("#act-conv1 button[data-index='3']").click()  # its maps can still be picked
    expect(page.locator("#kernel-detail .l-es")).to_contain_text("conv1, filtro 3:")
    zoom.click()
    expect(zoom).to_have_attribute("aria-pressed", "false")
    assert img.evaluate("(i) => i.getBoundingClientRect().width") == shown
    page.context.close()


# the controls whose focus ring is checked, each reached by Tab alone
FOCUSED = {"#undo": "undo", "#clear": "clear", "#upload": "upload", "#lang [data-lang=es]": "es",
           "#step-experiments-button": "step", "#shift-x input[type=range]": "slider", "#all-ten input": "checkbox"}


def test_the_keyboard_reaches_the_controls_with_a_visible_focus(open_page, digit_strokes):
    page = open_page()
    draw(page, digit_strokes["7"])
    open_step(page, "experiments")  # the step with the sliders
    page.evaluate("document.activeElement.blur()")
    seen = {}
    for _ in range(150):
        page.keyboard.press("Tab")
        found = page.evaluate("""(selectors) => {
            const e = document.activeElement, s = getComputedStyle(e);
            const hit = selectors.find((q) => e.matches(q) || e === document.querySelector(q));
            return hit && [hit, s.outlineStyle, parseFloat(s.outlineWidth), s.boxShadow];
        }""", list(FOCUSED))
        if found:
            selector, style, outline, shadow = found
            seen[FOCUSED[selector]] = (style != "none" and outline >= 2) or shadow != "none"
        if len(seen) == len(FOCUSED):
            break
    assert seen == {name: True for name in FOCUSED.values()}
    # and they work from the keyboard: ES switches the page (and its tab's title)
    open_step(page, "model")  # where the output's picture is
    page.focus("#lang [data-lang=es]")
    page.keyboard.press("Enter")
    expect(page.locator("#clear")).to_have_text(text.ES["clear"])
    expect(page).to_have_title(text.ES["app.tab"])
    expect(page.locator("img[alt^='Salida: 7']")).to_have_count(1)  # the reading, relabelled: the switch is done
    page.focus("#clear")
    page.keyboard.press("Enter")
    expect(page.locator("#prediction .output-class")).to_have_count(0)
