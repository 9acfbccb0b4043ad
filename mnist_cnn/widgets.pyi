"""The page's hand-made widgets, most of them a gr.HTML with its own template, CSS and JavaScript.

- the drawing pad: a 280×280 canvas that draws at once with mouse, pen or finger (a stock gr.Sketchpad waits for
  its Brush tool to be picked) and sends the drawing as a PNG data URL on each pen-up;
- a picture panel: one PNG sent inline as a data URL, which spares the server a file and the browser a request;
  a clickable one tells the server which pixel was clicked;
- a close-up: a picture and tables made per drawing, as one piece of HTML;
- the EN/ES language switch;
- the upload box: a gr.Image that hands the uploaded file to the handler unopened.
"""
import base64
import html
import io

import gradio as gr
from gradio.data_classes import ImageData
from PIL import Image

SIZE = 280  # CSS px and canvas px; the PNG sent is SIZE×SIZE
BRUSH = 18  # px on the 280 px canvas: about MNIST's stroke width once the digit is scaled to 20 px

HTML = f'<canvas width="{SIZE}" height="{SIZE}" aria-label="drawing area"></canvas>'

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
function send() {{
    props.value = strokes.length ? canvas.toDataURL('image/png') : '';
    trigger('drawn');
}}

canvas.addEventListener('pointerdown', (e) => {{
    if (e.button !== 0) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    current = [point(e)];
    strokes.push(current);
    dot(current[0]);
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
}});
function penUp(e) {{
    if (!current) return;
    current = null;
    send();
}}
canvas.addEventListener('pointerup', penUp);
canvas.addEventListener('pointercancel', penUp);
canvas.addEventListener('undo', () => {{
    if (!strokes.length) return;
    strokes.pop();
    repaint();
    send();
}});
canvas.addEventListener('clear', () => {{
    strokes.length = 0;
    current = null;
    repaint();
    props.value = '';
}});
// the server resets the value to "" when the app is cleared some other way
watch('value', () => {{
    if (!props.value && strokes.length) {{
        strokes.length = 0;
        repaint();
    }}
}});
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

# For the Undo and Clear buttons: js that runs in the page before (or instead of) their Python function.
UNDO_JS = "() => { document.querySelector('#draw canvas')?.dispatchEvent(new Event('undo')); }"
CLEAR_JS = "() => { document.querySelector('#draw canvas')?.dispatchEvent(new Event('clear')); }"


def drawing_pad() -> gr.HTML:
    """The pad (elem_id "draw"); value: the drawing as a PNG data URL or ""; event "drawn": each pen-up and Undo."""
    return gr.HTML(value="", html_template=HTML, css_template=CSS, js_on_load=JS, elem_id="draw")


PICTURE_HTML = '${value ? `<img src="${value}" alt="${alt}">` : ""}'
PICTURE_CSS = "img { display: block; max-width: 100%; height: auto; margin: 0 auto; image-rendering: pixelated; }"
# A click on a clickable picture sends the pixel under the pointer, in the picture's own pixels however the page
# scales it, as a "select" event whose index is [x, y].
CLICK_CSS = PICTURE_CSS + " img { cursor: pointer; }"
CLICK_JS = """
element.addEventListener('click', (e) => {
    const img = e.target.closest('img');
    if (!img || !img.naturalWidth) return;
    const r = img.getBoundingClientRect();
    const x = Math.floor((e.clientX - r.left) * img.naturalWidth / r.width);
    const y = Math.floor((e.clientY - r.top) * img.naturalHeight / r.height);
    trigger('select', {index: [x, y], value: null});
});
"""


def picture(elem_id: str, alt: str, render: bool = True, clickable: bool = False) -> gr.HTML:
    """A panel that shows one picture, given as a data URL (see data_url); None or "" shows nothing.

    A clickable picture fires "select" with the clicked pixel (x, y) as gr.SelectData.index."""
    return gr.HTML(value="", html_template=PICTURE_HTML, css_template=CLICK_CSS if clickable else PICTURE_CSS,
                   js_on_load=CLICK_JS if clickable else None, elem_id=elem_id, elem_classes="picture",
                   alt=html.escape(alt), render=render)


def figure(image: Image.Image, alt: str, below: str) -> str:
    """HTML for a gr.HTML value: a picture (inline, as a data URL) with some HTML below it."""
    return f'<img src="{data_url(image)}" alt="{html.escape(alt)}">{below}'


def close_up(elem_id: str, render: bool = True) -> gr.HTML:
    """An output that shows HTML made per drawing (see figure); None or "" shows nothing."""
    return gr.HTML(value="", css_template=PICTURE_CSS, elem_id=elem_id, elem_classes="close-up", render=render)


def data_url(image: Image.Image) -> str:
    """A PIL image as a `data:image/png;base64,...` string."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)  # pictures of flat colours: level 1 is small enough, and far faster
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# Gradio's own language setting lives in the footer's Settings. This switch calls the same changeLocale of Gradio's
# front end (found among the scripts the page loaded) and also follows ?lang=es in the address. If a later Gradio
# no longer has it, the switch hides itself and the Settings remain.
LANG_HTML = '<div class="lang"><button data-lang="en">EN</button><button data-lang="es">ES</button></div>'
LANG_CSS = """
.lang { display: flex; gap: 4px; justify-content: flex-end; }
.lang button { padding: 2px 10px; border: 1px solid var(--border-color-primary); border-radius: var(--radius-md);
               background: var(--background-fill-secondary); cursor: pointer; }
.lang button[aria-pressed="true"] { background: var(--color-accent); color: white; }
"""
LANG_JS = """
const core = () => {
    const url = performance.getEntriesByType('resource').map((e) => e.name)
        .find((n) => /\\/assets\\/core-[\\w-]+\\.js$/.test(n));
    return url ? import(url) : Promise.resolve(null);
};
const buttons = element.querySelectorAll('button');
const mark = () => buttons.forEach((b) =>
    b.setAttribute('aria-pressed', String(document.documentElement.lang.startsWith(b.dataset.lang))));
const choose = async (lang) => {
    const m = await core();
    if (!m || !m.changeLocale) { element.style.display = 'none'; return; }
    m.changeLocale(lang);
    setTimeout(mark, 50);
};
buttons.forEach((b) => b.addEventListener('click', () => choose(b.dataset.lang)));
const asked = new URLSearchParams(window.location.search).get('lang');
if (asked === 'en' || asked === 'es') choose(asked); else setTimeout(mark, 50);
"""


def language_switch() -> gr.HTML:
    """EN and ES buttons (elem_id "lang") that switch the page's language at once."""
    return gr.HTML(html_template=LANG_HTML, css_template=LANG_CSS, js_on_load=LANG_JS, elem_id="lang")

from gradio.events import Dependency

class ImageUpload(gr.Image):
    """gr.Image's upload box and preview, whose value reaches the handler as the uploaded file's path, unopened.

    A stock gr.Image opens the file with Pillow before the handler runs, so a file that is not an image, or is too
    large to open, ends in Gradio's generic error; here preprocess.load_image reads it and says what is wrong.
    """
    is_template = True  # the page draws it with gr.Image's own front end

    def preprocess(self, payload: ImageData | None) -> str | None:
        """The uploaded file's path (Gradio has checked it is in its upload folder), or a data URL."""
        return None if payload is None else payload.path or payload.url
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component