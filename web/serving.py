"""How the page is served: its launch settings (texts, styles, limits, the door), the server's lifespan, and the
connections it accepts. app.py builds the page; this serves it."""
import asyncio
import contextlib
import ctypes

import gradio as gr
from starlette.middleware import Middleware

from mnist_cnn.inputs import MAX_DRAWING

from . import gradio_internals, i18n, quiet_log, replica, text
from .assets import static
from .door import MAX_UPLOAD, Door
from .gradio_internals import lean_sessions, upload_folder
from .render_detail import DETAIL_CSS
from .upload_folder import keep_clean

# Queue positions are sent every second, not to every waiting request each time one starts: with a classroom
# waiting, those messages cost the server more than the network does (bench/bench_load.py).
QUEUE = {"status_update_rate": 1, "max_size": 256}  # 256 waiting: a few seconds of work, then "queue is full"
CACHE_CLEANUP = (600, 600)  # every 10 minutes, Gradio deletes the uploads it keeps that are older than 10 minutes

CSS = static("page.css")  # launch(css=...): the page's own rules
HEAD_CSS = static("head.css")  # in <head>: the page's frame, and the focus colour (--focus-colour)
ALL_TEN_JS = static("all-ten.js")  # the checkbox shows or hides 4 to 10
TO_DETAIL_JS = static("to-detail.js")  # after a map is picked, the page goes to its filter

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


LAUNCH = {"i18n": SAY, "css": CSS + i18n.CSS + DETAIL_CSS, "head": f"<style>{HEAD_CSS}</style>" + replica.head(),
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
