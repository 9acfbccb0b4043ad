"""How the page is served: its launch settings (texts, styles, limits, the door), the server's lifespan, and the
connections it accepts. app.py builds the page; this serves it."""
import asyncio
import contextlib
import ctypes
import io
import os

import gradio as gr
from starlette.middleware import Middleware

from mnist_cnn.inputs import MAX_DRAWING

from . import gradio_internals, i18n, quiet_log, replica, text
from .door import MAX_UPLOAD, Door
from .gradio_internals import upload_folder
from .sessions import lean_sessions
from .batch_view import BATCH_CSS
from .question_view import QUESTION_CSS
from .render_detail import DETAIL_CSS
from .upload_folder import keep_clean

# Queue positions are sent every second, not to every waiting request each time one starts: with a classroom
# waiting, those messages cost the server more than the network does (bench/bench_load.py).
QUEUE = {"status_update_rate": 1, "max_size": 256}  # 256 waiting: a few seconds of work, then "queue is full"
CACHE_CLEANUP = (600, 600)  # every 10 minutes, Gradio deletes the uploads it keeps that are older than 10 minutes

CSS = """
#mistakes img, #examples img { image-rendering: pixelated; }
#softmax-steps { overflow-x: auto; }
#saliency img { width: 224px; }  /* sent at 28×28: the page scales it up, without blur */
body:not(.all-ten) #prediction .confidence-set:nth-of-type(n+4) { display: none; }
#prediction .confidence-set { pointer-events: none; }  /* the rows do nothing when clicked */
.unsure { padding: 6px 10px; border-left: 4px solid #b45309; background: #fff7ed; color: #222; }
#status [role=status]:not(:empty) { padding: 6px 10px; border-left: 4px solid #b91c1c; background: #fef2f2;
                                     color: #222; }
/* Contrast (WCAG AA, checked by axe-core in tests/test_a11y.py): Gradio's red "stop" button, its sliders' ends and
   its footer are too pale as they come. */
#main h2 { font-size: 16px; font-weight: 600; margin: 0; }  /* "Draw a digit": an h2 the size of an h3 */
#clear { background: #b91c1c; border-color: #b91c1c; color: white; }
#clear:hover { background: #991b1b; border-color: #991b1b; }
.gradio-container .min_value, .gradio-container .max_value { color: var(--body-text-color); }
footer, footer a, footer button, footer .divider { color: var(--body-text-color) !important; }
@media (max-width: 480px) {  /* a phone: the softmax table fits without sideways scrolling */
    #softmax-steps table { font-size: 12px; }
    #softmax-steps th, #softmax-steps td { padding: 2px 4px !important; }
}
@media (max-height: 600px) {  /* short screens: the title and the introduction take little height */
    #top h1 { font-size: 20px; margin: 0; }
    #intro .prose, #intro p { font-size: 13px !important; line-height: 1.35 !important; margin: 0; }
    #main h2, #main h3 { margin: 0; font-size: 16px; }
}
/* a picture enlarged by its button (widgets.ZOOM_JS): at full size, scrolled sideways in its own box */
.full .pic { overflow-x: auto; }
.full .pic img, .full .pic .choices { max-width: none !important; }
/* The pad and the prediction stay in view beside the lesson's steps (on a phone they come first, and scroll away) */
@media (min-width: 640px) {
    #pad-column { position: sticky; top: 0; align-self: flex-start; max-height: 100vh; overflow-y: auto; }
}
/* A visible focus on everything the keyboard reaches */
.gradio-container button:focus-visible, .gradio-container input:focus-visible,
.gradio-container a:focus-visible, .gradio-container [tabindex]:focus-visible {
    outline: 3px solid #0b57d0 !important; outline-offset: 2px; }
"""
# Rules for the page's frame, which launch(css=...) cannot reach (Gradio puts that CSS inside the app's container)
HEAD_CSS = """
/* Narrow screens (a phone, a projector's 1024×768 at 150%): the page uses the whole width... */
@media (max-width: 767px) {
    .gradio-container > .main.app { max-width: 100% !important; padding-left: 12px !important;
                                    padding-right: 12px !important; }
}
/* ...and on short ones the title and the introduction take little height, so that the pad and the prediction
   show together */
@media (max-height: 600px) {
    .gradio-container > .main.app { padding-top: 4px !important; }
}
"""
ALL_TEN_JS = "(on) => { document.body.classList.toggle('all-ten', on); }"  # the checkbox shows or hides 4 to 10
# after a map is picked: its filter opens far below the maps, so the page goes there
TO_DETAIL_JS = "() => { document.querySelector('#kernel-detail')?.scrollIntoView(); }"

# The most characters the page sends to its HTML inputs: the pad's data URL, and the page's language as
# widgets.with_page_language sends it (two letters); the door refuses longer ones before they reach the queue.
LONGEST = {"draw": MAX_DRAWING, "lang": 2}
# what launch() needs besides the address; the tests launch with it too
# run_history=False: Gradio keeps no record of the calls (no run history page, no saving them to a Hub bucket)
# lean_sessions: Gradio keeps no per-session copy of every component's config and value (web/sessions.py)
SAY = gr.I18n(en=text.EN, es=text.ES)  # a text of text.py in the page's language


@contextlib.asynccontextmanager
async def lifespan(server_app):
    """While the server runs: Gradio's sessions kept lean, and its upload folder swept."""
    async with lean_sessions(server_app):
        sweeping = asyncio.create_task(keep_clean(upload_folder()))
        try:
            yield
        finally:
            sweeping.cancel()


LAUNCH = {"i18n": SAY, "css": CSS + i18n.CSS + DETAIL_CSS + BATCH_CSS + QUESTION_CSS, "head": f"<style>{HEAD_CSS}</style>" + replica.head(),
          "max_file_size": MAX_UPLOAD,
          "run_history": False, "state_session_capacity": 2000,
          "app_kwargs": {"middleware": [Middleware(Door, upload_folder=upload_folder(), longest=LONGEST)],
                         "lifespan": lifespan}}


def launch(demo: gr.Blocks, **options) -> gr.Blocks:
    """Serve the page with LAUNCH's settings (and options), on connections that time out and are counted."""
    gradio_internals.guard_connections()
    quiet_log.quiet()
    demo.launch(**{**LAUNCH, **options})
    return demo


def few_malloc_arenas(arenas: int = 2) -> None:
    """Let glibc's malloc keep at most `arenas` memory pools (by default up to 8 per core, one per clashing thread).

    Gradio runs handlers on up to 40 threads: with glibc's default, a classroom at once left the server ~45 MB
    larger for good; with 2 pools, ~15 MB (bench/bench_load.py). Where malloc is not glibc's, nothing changes.
    """
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # -8 is M_ARENA_MAX in malloc.h
    except (OSError, AttributeError):
        pass


def serve(demo: gr.Blocks, share: bool = False) -> None:
    """Serve the page until stopped (with share, also on a Gradio public link), saying where."""
    # GRADIO_SERVER_NAME and GRADIO_SERVER_PORT are read by launch() itself
    if share:  # the public link's visitors reach the app from this machine: none of them is a trusted proxy
        os.environ.setdefault("FORWARDED_ALLOW_IPS", "")
    said = io.StringIO()
    with contextlib.redirect_stdout(said):  # held back: Gradio's own advice contradicts --share
        launch(demo, share=share, prevent_thread_lock=True)
    demo.page.share_url = demo.share_url  # the class link shows it
    if share and not demo.share_url:
        print(f"No public link: Gradio's share server cannot be reached from this machine (is it offline?); "
              f"the app is served locally at {demo.local_url}")
    else:
        print(f"The app is served at {demo.local_url}" + (f" and {demo.share_url}" if demo.share_url else "")
              + ("" if share else "; `python app.py --share` also asks Gradio for a public link"))
    demo.block_thread()
