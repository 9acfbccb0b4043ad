"""The page's hand-made widgets, most of them a gr.HTML with its own template, CSS and JavaScript.

- the drawing pad: a 280×280 canvas that draws at once with mouse, pen or finger (a stock gr.Sketchpad waits for
  its Brush tool to be picked) and sends the drawing as a PNG data URL while the pen moves and on each pen-up;
- a picture: HTML made per reading, its PNGs inline as data URLs (no file for the server, no request for the
  browser); a pickable one has a button over each map or digit, reachable by keyboard;
- the EN/ES language switch, whose value is the page's language;
- the upload button, which hands the uploaded file's path to the handler unopened.
"""
import base64
import copy
import functools
import html
import io
import json

import gradio as gr
from gradio.data_classes import FileData
from PIL import Image

from .i18n import TEXTS

SIZE = 280  # CSS px and canvas px; the PNG sent is SIZE×SIZE
LIVE_MS = 100  # while the pen moves, the drawing so far is sent at most this often
# What the server gives the pad back once it has read a drawing: short, so that Gradio's copy of the session's
# values does not keep the drawing, and not empty, since an empty value clears the canvas.
READ = "read"
BRUSH = 18  # px on the 280 px canvas: about MNIST's stroke width once the digit is scaled to 20 px

HTML = f'<canvas width="{SIZE}" height="{SIZE}" role="img"></canvas>'

CSS = f"""
canvas {{
    display: block; width: {SIZE}px; max-width: 100%; aspect-ratio: 1; margin: 0 auto;
    background: white; border: 2px solid var(--border-color-primary); border-radius: var(--radius-lg);
    cursor: crosshair; touch-action: none; user-select: none; -webkit-user-select: none;
}}
"""

# Strokes are kept as point lists so that Undo can repaint without the last one. On pen-up the canvas sets the
# value and triggers "drawn"; the Undo and Clear buttons reach it through the "undo" and "clear" DOM events.
JS = f"""
const canvas = element.querySelector('canvas');
const ctx = canvas.getContext('2d');
const strokes = [];
let current = null;
let sentAt = 0;
let count = 0;  // the pad's sends, numbered, so that the server can drop a live reading sent before a pen-up

function paintBackground() {{
    ctx.fillStyle = 'white';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = ctx.fillStyle = 'black';
    ctx.lineWidth = {BRUSH};
    ctx.lineCap = ctx.lineJoin = 'round';
}}
function dot(p) {{
    ctx.beginPath();
    ctx.arc(p[0], p[1], {BRUSH} / 2, 0, 2 * Math.PI);
    ctx.fill();
}}
function segment(a, b) {{
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
}}
function repaint() {{
    paintBackground();
    for (const s of strokes) {{
        dot(s[0]);
        for (let i = 1; i < s.length; i++) segment(s[i - 1], s[i]);
    }}
}}
function point(e) {{
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
}}
// "sketch" while the pen moves, "drawn" at pen-up and Undo; the pen-up goes out at once, never waiting for a live
// reading (the server drops one sent before it). The value is set so that the server's reply ("" or READ) changes it.
function send(kind) {{
    sentAt = performance.now();
    props.value = strokes.length ? canvas.toDataURL('image/png') : '';
    trigger(kind, {{n: ++count}});
}}

canvas.addEventListener('pointerdown', (e) => {{
    if (e.button !== 0) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    current = [point(e)];
    strokes.push(current);
    dot(current[0]);
    sentAt = performance.now();  // the first live reading once the pen has moved for a while: a tap needs none
}});
canvas.addEventListener('pointermove', (e) => {{
    if (!current) return;
    e.preventDefault();
    // coalesced events keep fast pen and finger strokes smooth
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of (events.length ? events : [e])) {{
        const p = point(ev);
        segment(current[current.length - 1], p);
        current.push(p);
    }}
    // live: the drawing so far, at most every {LIVE_MS} ms (and one at a time: the event is "always_last")
    if (performance.now() - sentAt > {LIVE_MS}) send('sketch');
}});
function penUp(e) {{
    if (!current) return;
    current = null;
    send('drawn');
}}
canvas.addEventListener('pointerup', penUp);
canvas.addEventListener('pointercancel', penUp);
canvas.addEventListener('undo', () => {{
    if (!strokes.length) return;
    strokes.pop();
    repaint();
    send('drawn');
}});
canvas.addEventListener('clear', () => {{
    strokes.length = 0;
    current = null;
    repaint();
    props.value = '';
}});
// the server resets the value to "" when the app is cleared some other way (and to READ after each reading)
watch('value', () => {{
    if (!props.value && strokes.length) {{
        strokes.length = 0;
        repaint();
    }}
}});
// its name for screen readers, in the page's language
const name = () => canvas.setAttribute('aria-label', NAMES[(document.documentElement.lang || 'en').slice(0, 2)]
                                       || NAMES.en);
new MutationObserver(name).observe(document.documentElement, {{attributes: true, attributeFilter: ['lang']}});
name();
// the drawing as it is now, for the event's own js (DRAWN_JS), which runs when the event is really sent
canvas.drawing = () => strokes.length ? canvas.toDataURL('image/png') : '';
repaint();
canvas.dataset.ready = '';  // the pen works from now on (see PAD_READY_JS)
"""

# For tests and benchmarks, which draw as soon as they can: true once the pad's script has run and nothing covers
# the pad (Gradio lays a translucent veil over the page for a moment while it finishes loading, and it eats strokes).
PAD_READY_JS = """() => {
    const c = document.querySelector('#draw canvas[data-ready]');
    if (!c) return false;
    const r = c.getBoundingClientRect();
    return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === c;
}"""

# The pad's events send the canvas as it is when the event goes out, not the value the pad had when it fired: a live
# drawing sent while the last one is read waits (always_last), and by then the server has put READ in the pad's value.
PAGE_LANG = "(document.documentElement.lang || navigator.language || 'en').slice(0, 2)"
DRAWN_JS = ("(pad, ...rest) => [document.querySelector('#draw canvas')?.drawing?.() ?? pad, ...rest.slice(0, -1), "
            f"{PAGE_LANG}]")


def with_page_language(inputs: int) -> str:
    """An event's js that sends the page's language as its last input, whatever that input's value was then."""
    return f"(...a) => [...a.slice(0, {inputs - 1}), {PAGE_LANG}]"


# For the Undo and Clear buttons: js that runs in the page before (or instead of) their Python function.
UNDO_JS = "() => { document.querySelector('#draw canvas')?.dispatchEvent(new Event('undo')); }"
CLEAR_JS = "() => { document.querySelector('#draw canvas')?.dispatchEvent(new Event('clear')); }"


def drawing_pad() -> gr.HTML:
    """The pad (elem_id "draw"); value: the drawing as a PNG data URL or ""; events "sketch" while the pen moves (at
    most every LIVE_MS), "drawn" at each pen-up and Undo."""
    names = json.dumps({lang: texts["draw.area"] for lang, texts in TEXTS.items()}, ensure_ascii=False)
    return gr.HTML(value="", html_template=HTML, css_template=CSS, js_on_load=f"const NAMES = {names};\n" + JS,
                   elem_id="draw")


PICTURE_CSS = """
img { display: block; max-width: 100%; height: auto; margin: 0 auto; image-rendering: pixelated; }
.choices { position: relative; width: fit-content; max-width: 100%; margin: 0 auto; }
.choices button { position: absolute; padding: 0; border: 0; background: transparent; cursor: pointer; }
.choices button:focus-visible { outline: 3px solid #0b57d0; outline-offset: 1px; }
.digits { display: flex; flex-wrap: wrap; gap: 6px; }
.digits button { padding: 2px; border: 1px solid var(--border-color-primary); border-radius: var(--radius-md);
                 background: white; color: #222; cursor: pointer; font-size: 13px; }
.digits button:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
.digits img { width: 56px; height: 56px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.zoom { display: none; margin: 4px auto 0; padding: 4px 12px; border: 1px solid #555; border-radius: var(--radius-md);
        background: white; color: #222; cursor: pointer; }
.zoom:focus-visible, .pic:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
@media (max-width: 767px) { .pic:has(img):not(:has(.digits)) + .zoom { display: block; } }
"""
# A picture's buttons (a map of a layer, a digit of a row) are one Tab stop: the arrow keys move between them and
# Enter or a click picks one, which fires "select" with the button's data-index as gr.SelectData.index.
CHOICES_JS = """
const buttons = () => [...element.querySelectorAll('button[data-index]')];
element.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-index]');
    if (!b) return;
    buttons().forEach((o) => o.tabIndex = o === b ? 0 : -1);
    trigger('select', {index: JSON.parse(b.dataset.index), value: null});
});
element.addEventListener('keydown', (e) => {
    const all = buttons(), i = all.indexOf(document.activeElement);
    const step = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1}[e.key];
    if (i < 0 || !step) return;
    e.preventDefault();
    const next = all[(i + step + all.length) % all.length];
    all.forEach((o) => o.tabIndex = o === next ? 0 : -1);
    next.focus();
});
"""


# On a narrow screen a picture is scaled down to the screen's width, and the 12-px text drawn in it gets too small
# to read: its "Enlarge" button shows it at full size, scrolled sideways inside its own box (the page itself does not
# get wider); the maps' buttons follow it. The button is there only while the picture shows something.
PICTURE_HTML = "<div class=\"pic\">${value ?? ''}</div>${value ? '<button class=\"zoom\"></button>' : ''}"
ZOOM_NAMES = json.dumps({lang: texts["picture.zoom"] for lang, texts in TEXTS.items()}, ensure_ascii=False)
ZOOM_JS = """
const ZOOM = %s;
const full = () => element.classList.contains('full');
const mark = () => {
    const box = element.querySelector('.pic'), zoom = element.querySelector('.zoom');
    const name = ZOOM[(document.documentElement.lang || 'en').slice(0, 2)] || ZOOM.en;  // the page's language
    if (zoom && zoom.textContent !== name) zoom.textContent = name;
    if (zoom && zoom.getAttribute('aria-pressed') !== String(full())) zoom.setAttribute('aria-pressed', String(full()));
    // when scrolled sideways, its box can be scrolled by keyboard too
    if (box && full() && !box.hasAttribute('tabindex')) box.tabIndex = 0;
    if (box && !full()) box.removeAttribute('tabindex');
};
element.addEventListener('click', (e) => {
    if (!e.target.closest('button.zoom')) return;
    element.classList.toggle('full');
    mark();
});
new MutationObserver(mark).observe(element, {childList: true, subtree: true});
new MutationObserver(mark).observe(document.documentElement, {attributes: true, attributeFilter: ['lang']});
mark();
""" % ZOOM_NAMES


def html_view(elem_id: str, render: bool = True, pickable: bool = False, value: str = "") -> gr.HTML:
    """HTML made per reading (a picture, text, buttons), or once (value); None or "" shows nothing. A pickable
    one's buttons fire "select" with their data-index (see CHOICES_JS); on a narrow screen, "Enlarge" shows the
    picture at full size (ZOOM_JS)."""
    return gr.HTML(value=value, html_template=PICTURE_HTML, css_template=PICTURE_CSS,
                   js_on_load=ZOOM_JS + (CHOICES_JS if pickable else ""),
                   elem_id=elem_id, elem_classes="picture", render=render)


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
    return gr.HTML("", html_template='<div role="status" aria-live="polite">${value}</div>', elem_id=elem_id)


def data_url(image: Image.Image) -> str:
    """A PIL image as a `data:image/png;base64,...` string."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)  # pictures of flat colours: level 1 is small enough, and far faster
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# Gradio's own language setting lives in the footer's Settings. This switch calls the same changeLocale of Gradio's
# front end (found among the scripts the page loaded) and also follows ?lang=es in the address. If a later Gradio
# no longer has it, the switch hides itself and the Settings remain. It fires "change" when the page's language
# changes, however it was chosen, so that numbers and alt texts are written again in it (with_page_language).
LANG_HTML = ('<div class="lang"><button data-lang="en" lang="en">EN</button>'
             '<button data-lang="es" lang="es">ES</button></div>')
LANG_CSS = """
.lang { display: flex; gap: 4px; justify-content: flex-end; }
.lang button { padding: 4px 12px; border: 1px solid #555; border-radius: var(--radius-md); background: white;
               color: #222; cursor: pointer; font-weight: 600; }
.lang button[aria-pressed="true"] { background: #1f3a93; border-color: #1f3a93; color: white; }
.lang button:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
"""
LANG_JS = """
const core = () => {
    const url = performance.getEntriesByType('resource').map((e) => e.name)
        .find((n) => /\\/assets\\/core-[\\w-]+\\.js$/.test(n));
    return url ? import(url) : Promise.resolve(null);
};
const buttons = element.querySelectorAll('button');
const page = () => (document.documentElement.lang || 'en').slice(0, 2);
let shown = page();
const mark = () => {
    buttons.forEach((b) => b.setAttribute('aria-pressed', String(page() === b.dataset.lang)));
    document.title = TITLES[page()] || TITLES.en;  // the browser tab's title, in the page's language
    if (page() !== shown) { shown = page(); trigger('change'); }
};
new MutationObserver(mark).observe(document.documentElement, {attributes: true, attributeFilter: ['lang']});
const choose = async (lang) => {
    const m = await core();
    if (!m || !m.changeLocale) { element.style.display = 'none'; return; }
    m.changeLocale(lang);
};
buttons.forEach((b) => b.addEventListener('click', () => choose(b.dataset.lang)));
const asked = new URLSearchParams(window.location.search).get('lang');
if (asked === 'en' || asked === 'es') choose(asked);
mark();
"""


def language_switch() -> gr.HTML:
    """EN and ES buttons (elem_id "lang") that switch the page's language at once; "change" when it changes."""
    titles = json.dumps({lang: texts["app.tab"] for lang, texts in TEXTS.items()}, ensure_ascii=False)
    return gr.HTML(value="en", html_template=LANG_HTML, css_template=LANG_CSS,
                   js_on_load=f"const TITLES = {titles};\n" + LANG_JS, elem_id="lang")


class Unchecked:
    """For an input component: its value reaches the handler as the browser sent it, unparsed, for the handler to
    check (inputs.py). Anyone can call any event with any JSON, and Gradio's own parsing of a malformed value ends in
    a traceback (a slider given None, a radio given an unknown choice) instead of one sentence."""

    @property
    def data_model(self) -> None:
        """None, whatever the Gradio component's __init__ sets (its own __init__ stays, for the page's config)."""
        return None

    @data_model.setter
    def data_model(self, value: object) -> None:
        pass

    def preprocess(self, payload: object) -> object:
        """The value as sent."""
        return payload

    def get_block_name(self) -> str:
        """The Gradio component whose front end draws this one (Gradio's own hook for template components)."""
        return next(c for c in type(self).__mro__ if c.__module__.startswith("gradio.")).__name__.lower()

    get_block_class = get_block_name


@functools.cache
def file_schema() -> dict:
    """FileData's JSON schema, built once: pydantic takes about 1 ms to build it, and Gradio asks for it several times
    for each new session."""
    return FileData.model_json_schema()


class PathOnly(Unchecked):
    """For a file component: the payload reaches the handler as the path it names, or None, unopened."""

    def preprocess(self, payload: object) -> object:
        """The "path" of a file payload (whatever its type), or None."""
        return payload.get("path") if isinstance(payload, dict) else None

    def api_info(self) -> dict:
        """The API page's description of the input: a file, as gr.File describes it."""
        return copy.deepcopy(file_schema())  # a copy: Gradio's callers may edit what they get


class UploadButton(PathOnly, gr.UploadButton):
    """gr.UploadButton that hands the handler the uploaded file's path (the stock one also leaves an empty temp
    file behind on every call)."""
    is_template = True  # the page draws it with gr.UploadButton's own front end


class ApiFile(PathOnly, gr.File):
    """gr.File that hands the handler the uploaded file's path: the /predict endpoint's input."""
    is_template = True


class Slider(Unchecked, gr.Slider):
    """gr.Slider whose value reaches the handler unchecked."""
    is_template = True


class Radio(Unchecked, gr.Radio):
    """gr.Radio whose value reaches the handler unchecked."""
    is_template = True
