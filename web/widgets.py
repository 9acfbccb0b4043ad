"""The page's hand-made widgets, most of them a gr.HTML whose template, CSS and JavaScript are files of web/static/.

- the drawing pad: a 280×280 canvas that draws at once with mouse, pen or finger (a stock gr.Sketchpad waits for
  its Brush tool to be picked) and sends the drawing as a PNG data URL while the pen moves and on each pen-up;
- a picture: HTML made per reading, its PNGs inline as data URLs (no file for the server, no request for the
  browser); a pickable one has a button over each map or digit, reachable by keyboard;
- the EN/ES language switch, whose value is the page's language;
- the controls whose values reach the handlers unparsed (gradio_internals: Slider, Radio, UploadButton, ApiFile).
"""
import base64
import html
import io
import json

import gradio as gr
from PIL import Image

from .assets import static
from .gradio_internals import ApiFile, Radio, Slider, UploadButton  # noqa: F401 (the page's controls, by their home)
from .i18n import TEXTS

SIZE = 280  # CSS px and canvas px; the PNG sent is SIZE×SIZE
LIVE_MS = 100  # while the pen moves, the drawing so far is sent at most this often
# What the server gives the pad back once it has read a drawing: short, so that Gradio's copy of the session's
# values does not keep the drawing, and not empty, since an empty value clears the canvas.
READ = "read"
BRUSH = 18  # px on the 280 px canvas: about MNIST's stroke width once the digit is scaled to 20 px


def page_script(*names: str) -> str:
    """Scripts of web/static/ for a js_on_load, joined after the page-language snippet they may call."""
    return "\n".join(static(name) for name in ("page-language.js", *names))


def event_js(name: str) -> str:
    """An event's js: the function in web/static/<name>, which may call pageLanguage(). Gradio calls the function
    the expression gives, so the snippet is defined in a closure around it."""
    return f"(() => {{\n{static('page-language.js')}\nreturn (\n{static(name)}\n);\n}})()"


def by_language(key: str) -> dict[str, str]:
    """A text of text.py in each language, for a widget's script to pick the page's one."""
    return {lang: texts[key] for lang, texts in TEXTS.items()}


PAD_READY_JS = static("pad-ready.js")  # for tests and benchmarks: true once the pen can draw
DRAWN_JS = event_js("drawn.js")  # the pad's events: the canvas as it is when the event goes out, and the language
UNDO_JS = static("undo.js")  # Undo runs in the page only
CLEAR_JS = static("clear.js")  # Clear empties the pad before its Python function


def with_page_language(inputs: int) -> str:
    """An event's js that sends the page's language as its last input (of inputs), whatever that input's value was
    then."""
    if inputs < 1:
        raise ValueError("the page's language is an event's last input: it needs at least one")
    return event_js("with-page-language.js")


def drawing_pad() -> gr.HTML:
    """The pad (elem_id "draw"); value: the drawing as a PNG data URL or ""; events "sketch" while the pen moves (at
    most every LIVE_MS), "drawn" at each pen-up and Undo (pad.js)."""
    return gr.HTML(value="", html_template=static("pad.html"), css_template=static("pad.css"),
                   js_on_load=page_script("pad.js"), elem_id="draw",
                   size=SIZE, brush=BRUSH, live_ms=LIVE_MS, names=by_language("draw.area"))


def html_view(elem_id: str, render: bool = True, pickable: bool = False, value: str = "") -> gr.HTML:
    """HTML made per reading (a picture, text, buttons), or once (value); None or "" shows nothing. A pickable
    one's buttons fire "select" with their data-index (choices.js); on a narrow screen, "Enlarge" shows the
    picture at full size (zoom.js)."""
    scripts = ("zoom.js", "choices.js") if pickable else ("zoom.js",)
    return gr.HTML(value=value, html_template=static("picture.html"), css_template=static("picture.css"),
                   js_on_load=page_script(*scripts), elem_id=elem_id, elem_classes="picture", render=render,
                   zoom=by_language("picture.zoom"))


def figure(image: Image.Image, alt: str, below: str = "") -> str:
    """HTML for a picture's value: the image (inline, as a data URL) with its alt text, and some HTML below it."""
    return f'<img src="{data_url(image)}" alt="{html.escape(alt)}">{below}'


def choices(image: Image.Image, alt: str, cells: list[tuple[tuple[int, int, int, int], str, object]]) -> str:
    """HTML for a picture with a button over each of its cells: ((x, y, width, height) in the image's pixels, the
    button's name, its index). Buttons are placed in percentages, so they follow the picture however it is scaled."""
    w, h = image.size
    buttons = "".join(
        f'<button data-index="{html.escape(json.dumps(index))}" aria-label="{html.escape(name)}" '
        f'tabindex="{0 if i == 0 else -1}" style="left:{100 * x / w:.3f}%;top:{100 * y / h:.3f}%;'
        f'width:{100 * cw / w:.3f}%;height:{100 * ch / h:.3f}%"></button>'
        for i, ((x, y, cw, ch), name, index) in enumerate(cells))
    return f'<div class="choices">{figure(image, alt)}{buttons}</div>'


def digit_buttons(images: list[Image.Image], names: list[str], captions: list[str]) -> str:
    """HTML for a row of digit pictures, each a button with a name and a caption under it (both given as HTML);
    select gives its index. The name is the button's own (hidden) text, not an aria-label, so that the caption a
    sighted person sees is not at odds with what a screen reader says (axe's label-content-name-mismatch); the
    caption, its short form, is left out of the name."""
    return '<div class="digits">' + "".join(
        f'<button data-index="{i}" tabindex="{0 if i == 0 else -1}"><img src="{data_url(image)}" alt="">'
        f'<span aria-hidden="true">{caption}</span><span class="sr-only">{name}</span></button>'
        for i, (image, name, caption) in enumerate(zip(images, names, captions))) + "</div>"


def status_line(elem_id: str) -> gr.HTML:
    """A line for one sentence about what went wrong, read out by screen readers when it changes."""
    return gr.HTML("", html_template=static("status.html"), elem_id=elem_id)


def data_url(image: Image.Image) -> str:
    """A PIL image as a `data:image/png;base64,...` string."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)  # pictures of flat colours: level 1 is small enough, and far faster
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def language_switch() -> gr.HTML:
    """EN and ES buttons (elem_id "lang") that switch the page's language at once, as Gradio's own Settings do;
    "change" when it changes, however it was chosen (lang.js)."""
    return gr.HTML(value="en", html_template=static("lang.html"), css_template=static("lang.css"),
                   js_on_load=page_script("lang.js"), elem_id="lang", titles=by_language("app.tab"))
