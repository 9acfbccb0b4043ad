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

from . import gradio_internals, i18n, quiet_log, registry, replica, text, widgets
from .assets import static
from .door import MAX_UPLOAD, Door
from .batch_view import BATCH_CSS
from .gradio_internals import lean_sessions, upload_folder
from .question_view import QUESTION_CSS
from .render_detail import DETAIL_CSS
from .upload_folder import keep_clean

# Queue positions are sent every second, not to every waiting request each time one starts: with a classroom
# waiting, those messages cost the server more than the network does (bench/bench_load.py).
QUEUE = {"status_update_rate": 1, "max_size": 256}  # 256 waiting: a few seconds of work, then "queue is full"
CACHE_CLEANUP = (600, 600)  # every 10 minutes, Gradio deletes the uploads it keeps that are older than 10 minutes

CSS = static("page.css")  # launch(css=...): the page's own rules
HEAD_CSS = static("head.css")  # in <head>: the page's frame, and the focus colour (--focus-colour)
# The page's own scripts, as the registry's events name them
SCRIPTS = {"send-drawing": widgets.DRAWN_JS, "wipe-pad": widgets.CLEAR_JS, "undo-stroke": widgets.UNDO_JS,
           "show-all": static("all-ten.js"),  # the checkbox shows or hides 4 to 10
           "to-close-up": static("to-detail.js"),  # after a map is picked, the page shows its filter
           "step-address": static("step-address.js")}  # a step opened: its link in the address bar

# The most characters the page sends to its HTML inputs: the pad's data URL, and the page's language as
# widgets.with_page_language sends it (two letters); the door refuses longer ones before they reach the queue.
LONGEST = {"draw": MAX_DRAWING, "lang": 2}
# what launch() needs besides the address; the tests launch with it too
# run_history=False: Gradio keeps no record of the calls (no run history page, no saving them to a Hub bucket)
# lean_sessions: Gradio keeps no per-session copy of every component's config and value (web/gradio_internals.py)
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


LAUNCH = {"i18n": SAY, "css": CSS + i18n.CSS + DETAIL_CSS + BATCH_CSS + QUESTION_CSS,
          "head": f"<style>{HEAD_CSS}</style>" + replica.head() + i18n.gradio_words_head(registry.tab_names),
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
