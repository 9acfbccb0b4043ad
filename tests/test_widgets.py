"""The page's widgets: their scripts and styles read from web/static/ by one loader (a missing file fails at once),
one page-language snippet and one focus colour, the values each widget is built with, and the HTML made per reading.
The event scripts run in Node as Gradio runs them in the page, where Node is installed."""
import base64
import io
import json
import re
import shutil
import subprocess

import pytest
from PIL import Image

from web import widgets
from web.assets import FOLDER, static
from web.i18n import TEXTS


def test_a_static_file_is_read_once_without_its_final_newline():
    text = static("undo.js")
    assert text is static("undo.js") and text == (FOLDER / "undo.js").read_text(encoding="utf-8").rstrip("\n")
    assert text.startswith("() => {") and not text.endswith("\n")


def test_a_missing_static_file_fails_loudly_by_name():
    with pytest.raises(FileNotFoundError, match=r"web/static/nowhere\.js is missing"):
        static("nowhere.js")
    for outside in ("../assets.py", "sub/pad.js", "/etc/passwd"):
        with pytest.raises(ValueError, match="not a file name"):
            static(outside)


def test_every_static_file_the_widgets_name_is_there():
    named = set(re.findall(r"""["']([\w-]+\.(?:js|css|html))["']""", "".join(
        (FOLDER.parent / module).read_text(encoding="utf-8") for module in ("widgets.py", "serving.py",
                                                                           "render_detail.py"))))
    assert {"pad.js", "drawn.js", "page.css", "head.css", "detail.css"} <= named
    assert all((FOLDER / name).is_file() for name in named), named - {p.name for p in FOLDER.iterdir()}


def test_the_focus_colour_is_written_once_and_every_focus_ring_uses_it():
    styles = {p.name: p.read_text(encoding="utf-8") for p in FOLDER.glob("*.css")}
    assert sum(text.count("#0b57d0") for text in styles.values()) == 1
    assert ":root { --focus-colour: #0b57d0; }" in styles["head.css"]
    rings = [rule for text in styles.values() for rule in re.findall(r"focus-visible[^{]*\{[^}]*\}", text)]
    assert len(rings) == 5 and all("var(--focus-colour)" in rule for rule in rings)


def test_the_page_language_is_worked_out_in_one_place():
    scripts = {p.name: p.read_text(encoding="utf-8") for p in FOLDER.glob("*.js") if p.name != "replica.js"}
    assert [name for name, text in scripts.items() if "documentElement.lang ||" in text] == ["page-language.js"]
    callers = [name for name, text in scripts.items() if "pageLanguage()" in text]
    assert sorted(callers) == ["drawn.js", "gradio-words.js", "lang.js", "pad.js", "with-page-language.js", "zoom.js"]
    snippet = static("page-language.js")
    built = [widgets.drawing_pad(), widgets.html_view("x"), widgets.html_view("y", pickable=True),
             widgets.language_switch()]
    assert all(b.js_on_load.startswith(snippet) for b in built)
    assert snippet in widgets.DRAWN_JS and snippet in widgets.with_page_language(3)


def test_the_pad_is_built_with_its_size_brush_pace_and_name_in_each_language():
    pad = widgets.drawing_pad()
    assert pad.elem_id == "draw" and pad.value == ""
    assert pad.props == {"size": 280, "brush": 18, "live_ms": 100,
                         "names": {lang: TEXTS[lang]["draw.area"] for lang in ("en", "es")}}
    assert pad.props["names"]["en"] != pad.props["names"]["es"]
    assert "${size}" in pad.html_template and "${size}px" in pad.css_template
    assert "props.brush" in pad.js_on_load and "props.live_ms" in pad.js_on_load


def test_a_picture_s_buttons_script_only_when_pickable_and_its_enlarge_button_named_in_each_language():
    plain, pickable = widgets.html_view("a"), widgets.html_view("b", pickable=True, render=False)
    assert static("choices.js") not in plain.js_on_load and static("choices.js") in pickable.js_on_load
    assert static("zoom.js") in plain.js_on_load and plain.elem_classes == ["picture"]
    assert plain.props["zoom"] == {"en": TEXTS["en"]["picture.zoom"], "es": TEXTS["es"]["picture.zoom"]}
    switch = widgets.language_switch()
    assert switch.value == "en" and switch.props["titles"]["es"] == TEXTS["es"]["app.tab"]


def test_with_page_language_needs_an_input_for_the_language():
    with pytest.raises(ValueError, match="at least one"):
        widgets.with_page_language(0)


def test_a_figure_and_its_buttons_sit_where_its_cells_are_in_percent_with_their_names_escaped():
    image = Image.new("L", (100, 50), 255)
    html = widgets.choices(image, 'a "map"', [((10, 5, 20, 10), "map <1>", [0, 1]), ((50, 25, 50, 25), "b", 2)])
    assert 'alt="a &quot;map&quot;"' in html and 'aria-label="map &lt;1&gt;"' in html
    assert 'data-index="[0, 1]" aria-label="map &lt;1&gt;" tabindex="0" ' \
           'style="left:10.000%;top:10.000%;width:20.000%;height:20.000%"' in html
    assert 'tabindex="-1" style="left:50.000%;top:50.000%;width:50.000%;height:50.000%"' in html
    row = widgets.digit_buttons([image, image], ["seven", "one"], ["7", "1"])
    assert row.count("<button") == 2 and '<span class="sr-only">one</span>' in row and 'data-index="1"' in row


def test_a_data_url_holds_the_picture_as_a_png():
    image = Image.new("RGB", (3, 2), (10, 20, 30))
    url = widgets.data_url(image)
    assert url.startswith("data:image/png;base64,")
    back = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert back.format == "PNG" and back.size == (3, 2) and back.getpixel((2, 1)) == (10, 20, 30)


# Gradio's own way of running an event's js (its frontend's Blocks: the text as an expression, the function it gives
# called with the event's inputs), in Node with a page that has only what the scripts read.
RUN = """
const [js, lang, drawing, args] = JSON.parse(require('fs').readFileSync(0, 'utf8'));
globalThis.document = {documentElement: {lang},
                       querySelector: (s) => drawing === null ? null : {drawing: () => drawing}};
globalThis.navigator = {language: 'es-ES'};
let result = new Function('return (\\n' + js.trim().replace(/;+$/, '') + '\\n);')(...args);
if (typeof result === 'function') result = result(...args);
console.log(JSON.stringify(result ?? null));
"""


def run_js(js: str, args: list, lang: str = "en", drawing: str | None = None) -> object:
    """What an event's js gives for these inputs, in a page whose <html lang> is lang and whose pad holds drawing."""
    node = shutil.which("node")
    if not node:
        pytest.skip("Node is not installed")
    done = subprocess.run([node, "-e", RUN], input=json.dumps([js, lang, drawing, args]), capture_output=True,
                          text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def test_an_event_s_last_input_becomes_the_page_s_language_whatever_it_was():
    js = widgets.with_page_language(3)
    assert run_js(js, [1, None, "en"], lang="es") == [1, None, "es"]
    assert run_js(js, [1, None, "es"], lang="en-GB") == [1, None, "en"]
    assert run_js(js, [1, None, "en"], lang="") == [1, None, "es"]  # no <html lang> yet: the browser's


def test_the_pad_s_events_send_the_canvas_as_it_is_when_they_go_out():
    assert run_js(widgets.DRAWN_JS, ["read", None, "x", "en"], lang="es", drawing="data:now") == \
        ["data:now", None, "x", "es"]
    assert run_js(widgets.DRAWN_JS, ["data:then", 7, "en"], drawing=None) == ["data:then", 7, "en"]  # no pad


def test_undo_clear_and_the_page_s_other_scripts_are_functions_gradio_can_run():
    for js in (widgets.UNDO_JS, widgets.CLEAR_JS, widgets.PAD_READY_JS):
        assert js.startswith("() => {")  # Playwright (PAD_READY_JS) takes only a text that starts as a function
    assert run_js(widgets.UNDO_JS, [], drawing=None) is None

