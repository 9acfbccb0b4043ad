"""Draw a digit and watch the seed's CNN read it, layer by layer, in Spanish or English (Gradio app and /predict API).

Run `python app.py` and open the address it prints; `python app.py --share` also asks Gradio for a public link.
"""
import argparse
import asyncio
import contextlib
import ctypes
import io
import os
import sys
from functools import partial
from pathlib import Path

import gradio as gr
import torch
from gradio.utils import get_upload_folder
from starlette.middleware import Middleware

from mnist_cnn.checkpoint import WEIGHTS, WeightsError, load_model
from mnist_cnn.data import load_mnist
from mnist_cnn.filter_top import StaleFilterTopError, load_filter_top
from mnist_cnn.inputs import MAX_DRAWING
from mnist_cnn.mistakes import StaleMistakesError, load_mistakes
from mnist_cnn.model import Net
from mnist_cnn.own_model import NETWORK_IDLE, accuracy, accuracy_digits
from mnist_cnn.snapshots import StaleSnapshotsError, load_loss_curve, load_snapshots
from mnist_cnn.worker import READERS
from web import gradio_internals, i18n, quiet_log, render, replica, text, views
from web.door import MAX_UPLOAD, Door
from web.handlers import NEUTRAL, SANDBOX, WHAT_IF, Page, Pen
from web.page_blocks import PageBlocks
from web.render_detail import DETAIL_CSS, mistakes_intro
from web.sessions import lean_sessions
from web.upload_folder import keep_clean
from web.widgets import (
    CLEAR_JS,
    DRAWN_JS,
    UNDO_JS,
    ApiFile,
    Radio,
    Slider,
    UploadButton,
    drawing_pad,
    html_view,
    language_switch,
    status_line,
    with_page_language,
)

EXAMPLE_DIGITS = range(10)  # one real MNIST test digit of each class
# Every event that runs the network shares these slots. Two keep both cores busy (one torch thread each) while a
# large upload is read (in a worker process, mnist_cnn/worker.py, which has as many); more would only wait.
CNN = {"concurrency_id": "cnn", "concurrency_limit": 2}
LIVE = {"concurrency_id": "live", "concurrency_limit": 1}  # the readings made while the pen still moves
AFTER = {"concurrency_id": "after", "concurrency_limit": 1}  # the experiments that follow a reading
# A pen-up and its experiments have slots of their own (its drawing is at most 560×560 px, so they add little
# memory): anyone can call any event, and a flood of calls to the others never queues in front of a drawing.
PEN = {"concurrency_id": "pen", "concurrency_limit": 2}
PEN_AFTER = {"concurrency_id": "pen-after", "concurrency_limit": 1}
PRIVATE = {"api_visibility": "private", "show_progress": "hidden"}  # the page's own events (callable all the same)
# Queue positions are sent every second, not to every waiting request each time one starts: with a classroom
# waiting, those messages cost the server more than the network does (bench/bench_load.py).
QUEUE = {"status_update_rate": 1, "max_size": 256}  # 256 waiting: a few seconds of work, then "queue is full"
CACHE_CLEANUP = (600, 600)  # every 10 minutes, Gradio deletes the uploads it keeps that are older than 10 minutes
SESSION_TTL = 3600  # seconds a session's own state (its reading, its chosen filter) lives after its last use

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
        sweeping = asyncio.create_task(keep_clean(get_upload_folder()))
        try:
            yield
        finally:
            sweeping.cancel()


LAUNCH = {"i18n": SAY, "css": CSS + i18n.CSS + DETAIL_CSS, "head": f"<style>{HEAD_CSS}</style>" + replica.head(),
          "max_file_size": MAX_UPLOAD,
          "run_history": False, "state_session_capacity": 2000,
          "app_kwargs": {"middleware": [Middleware(Door, upload_folder=get_upload_folder(), longest=LONGEST)],
                         "lifespan": lifespan}}


def load_page(model: Net, weights: Path = WEIGHTS) -> Page:
    """The shipped network with the data the page shows: the MNIST test digits, the misread ones, the top patches."""
    images, labels = load_mnist("test")
    try:
        mistakes = load_mistakes(weights=weights)
    except StaleMistakesError as e:  # the app still works; only the gallery of mistakes is left out
        print(f"No gallery of misread digits: {e}", file=sys.stderr)
        mistakes = []
    try:
        top = load_filter_top(weights=weights)
    except StaleFilterTopError as e:  # likewise, only the filters' top patches are left out
        print(f"No top patches of the filters: {e}", file=sys.stderr)
        top = None
    try:
        snapshots, curve = load_snapshots(weights=weights), load_loss_curve(weights=weights)
    except StaleSnapshotsError as e:  # likewise, only "watch it learn" is left out
        print(f"No training snapshots: {e}", file=sys.stderr)
        snapshots, curve = [], []
    examples = [int((labels == d).nonzero()[0]) for d in EXAMPLE_DIGITS]
    digits = accuracy_digits(images, labels)
    return Page(model, images, labels, mistakes, examples, get_upload_folder(), top, digits,
                accuracy(model, digits), snapshots, curve)


def heading(key: str, level: int = 3) -> None:
    """A heading in the page's language."""
    gr.Markdown("#" * level + " " + SAY(key))


def panel(key: str, component: gr.components.Component) -> None:
    """A panel: its title, its picture, its explanation."""
    heading(f"{key}.title")
    component.render()
    gr.Markdown(SAY(f"{key}.text"))


def layout(page: Page) -> dict[str, gr.components.Component]:
    """The page's components, laid out, by element id (and the session's state by name)."""
    ui = {}
    with gr.Row(equal_height=False, elem_id="top"):
        gr.Markdown("# " + SAY("app.title"))
        ui["lang"] = language_switch()
    gr.Markdown(SAY("app.intro"), elem_id="intro")
    for key in (*render.PANELS, *views.CLOSE_UP, "filter-top", "occlusion", "sandbox", "shift-text", "compare"):
        ui[key] = html_view(key, render=False, pickable=key in render.MAP_LAYERS)
    with gr.Row(equal_height=False, elem_id="main"):
        with gr.Column(scale=1, min_width=290):
            heading("draw.label", 2)  # the title's first section (an h3 right after the h1 skips a level)
            ui["pad"] = drawing_pad()
            with gr.Row():
                ui["undo"] = gr.Button(SAY("undo"), elem_id="undo", size="sm", min_width=70)
                ui["clear"] = gr.Button(SAY("clear"), elem_id="clear", size="sm", variant="stop", min_width=70)
                ui["upload"] = UploadButton(SAY("upload.label"), file_types=["image"], size="sm", elem_id="upload",
                                            min_width=70)
            ui["status"] = status_line("status")
            gr.Markdown(SAY("draw.hint"), elem_id="hint")
        with gr.Column(scale=2, min_width=290):
            ui["prediction"] = gr.Label(label=SAY("prediction.label"), elem_id="prediction")  # 3 shown (see CSS)
            ui["unsure"] = gr.HTML("", elem_id="unsure")
            ui["all-ten"] = gr.Checkbox(False, label=SAY("prediction.all"), elem_id="all-ten")
            panel("input28", ui["input28"])
    heading("examples.label")
    ui["examples"] = html_view("examples", pickable=True,
                               value=views.examples_html(page.images[page.examples], page.labels[page.examples]))
    heading("layers.title", 2)
    gr.Markdown(SAY("layers.intro"))
    for first in range(1, len(render.PANELS), 2):  # the stages two by two, each pair a row that stacks on a phone
        with gr.Row(equal_height=False):
            for key in render.PANELS[first:first + 2]:
                with gr.Column(min_width=290):
                    panel(key, ui[key])
    heading("closer.title", 2)
    gr.Markdown(SAY("closer.intro"))
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=290):
            heading("kernel-detail.title")
            gr.Markdown(SAY("kernel-detail.hint"))
            ui["kernel-detail"].render()
            with gr.Column(visible=page.filter_top is not None):  # left out if the patches are not current
                heading("filter-top.title")
                gr.Markdown(SAY("filter-top.intro"))
                ui["filter-top"].render()
        with gr.Column(scale=2, min_width=290):
            heading("saliency.title")
            ui["saliency"].render()
            heading("occlusion.title")
            ui["occlusion"].render()
    with gr.Row(equal_height=False):
        with gr.Column(min_width=290):
            heading("softmax-steps.title")
            ui["softmax-steps"].render()
        with gr.Column(min_width=290, visible=bool(page.mistakes)):
            heading("mistakes.title")
            gr.HTML(i18n.bilingual(mistakes_intro, len(page.mistakes), len(page.labels)))
            ui["mistakes"] = html_view("mistakes", pickable=True, value=views.mistakes_html(page.mistakes, page.images))
    heading("experiment.title", 2)
    with gr.Row(equal_height=False):
        with gr.Column(min_width=290, elem_id="sandbox-panel"):
            heading("sandbox.title")
            gr.Markdown(SAY("sandbox.intro"))
            with gr.Row():
                for key, (choices, default) in SANDBOX.items():
                    ui[key] = Radio(list(choices), value=default, label=SAY(key.replace("-", ".", 1)), elem_id=key)
            ui["sandbox"].render()
        with gr.Column(min_width=290, elem_id="what-if"):
            heading("what-if.title")
            gr.Markdown(SAY("what-if.intro"))
            for key, (low, high, step) in WHAT_IF.items():
                ui[key] = Slider(low, high, value=NEUTRAL[key], step=step, label=SAY(f"what-if.{key}"), elem_id=key)
            ui["reset"] = gr.Button(SAY("what-if.reset"), size="sm", elem_id="reset")
            ui["shift-curve"] = gr.LinePlot(x="shift", y="probability", color="direction", y_lim=[0, 1],
                                            label=SAY("what-if.curve-title"), x_title=SAY("what-if.shift-axis"),
                                            y_title=SAY("what-if.probability-axis"), elem_id="shift-curve",
                                            height=240)
            ui["shift-text"].render()
    heading("own.title", 2)
    with gr.Column(elem_id="own-model"):
        gr.Markdown(SAY("own.hint"))
        with gr.Row():
            ui["own-upload"] = UploadButton(SAY("own.upload"), file_types=[".pt", ".pth", ".safetensors"],
                                            size="sm", elem_id="own-upload", min_width=120)
            ui["use-shipped"] = gr.Button(SAY("own.use-shipped"), size="sm", elem_id="use-shipped", min_width=120)
        ui["model-name"] = gr.HTML(i18n.bilingual(lambda lang: views.model_name(None, lang, page.shipped_accuracy)),
                                   elem_id="model-name")
        ui["model-status"] = status_line("model-status")
        ui["compare"].render()
    last = max(len(page.snapshots) - 1, 0)
    with gr.Column(elem_id="learning-panel", visible=bool(page.snapshots)):  # left out without current snapshots
        heading("learning.title", 2)
        gr.Markdown(SAY("learning.intro"))
        ui["learning-step"] = Slider(0, max(last, 1), value=last, step=1, label=SAY("learning.step"),
                                     elem_id="learning-step")  # max ≥ 1: Gradio refuses a slider from 0 to 0
        with gr.Row(equal_height=False):
            with gr.Column(min_width=290):
                ui["learning"] = html_view("learning", value=i18n.bilingual(
                    lambda lang: page.learning(last, None, lang).get("learning", "")))
            with gr.Column(min_width=290):
                ui["loss-curve"] = gr.LinePlot(page.learning(last, None, "en").get("loss-curve"), x="step", y="loss",
                                               color="series", label=SAY("learning.curve"), height=260,
                                               elem_id="loss-curve", x_title=SAY("learning.step-axis"))
    with gr.Accordion(SAY("explain.title"), open=False):
        for key in ("explain.padding", "explain.stride", "explain.dim1"):
            gr.Markdown(SAY(key))
    for key in ("current", "original", "chosen"):  # the session's own things, gone with it
        ui[key] = gr.State(None, time_to_live=SESSION_TTL)
    ui["network"] = gr.State(None, time_to_live=NETWORK_IDLE)  # a visitor's network, gone when left unused
    ui["pen"] = gr.State(Pen())  # changed in place, never sent: it lives as long as the session
    ui["api-file"] = ApiFile(label="image", visible=False)  # the /predict endpoint's own input and output
    ui["api-label"] = gr.Label(label="confidences", visible=False)
    return ui


def wire(page: Page, ui: dict) -> None:
    """The page's events. Each handler returns a dict by element id; it reaches Gradio as {component: value}, and an
    empty one changes nothing."""
    def those(*keys: str) -> list:
        return [ui[k] for k in keys]

    def on(trigger, handler, inputs: list, outputs: list, data: str | None = None, **options):
        """Run handler on trigger; with data, its first argument is that field of the event's data (the picked
        button's "index", the pad's count "n"), unchecked: a client may send any JSON there, or none."""
        def named(out: dict):
            return {ui[k]: v for k, v in out.items() if k in ui} or gr.skip()
        if data:  # Gradio hands gr.EventData to a first parameter with that type hint
            def call(evt: gr.EventData, *args):
                sent = evt._data if isinstance(evt._data, dict) else {}
                return named(handler(sent.get(data), *args))
        else:
            def call(*args):
                return named(handler(*args))
        # its name in Gradio's logs, traces and routes: the handler's, not "call"
        call.__name__ = getattr(handler, "__name__", None) or handler.func.__name__
        if inputs and inputs[-1] is ui["lang"]:  # the page's language as it is when the event goes out
            options.setdefault("js", with_page_language(len(inputs)))
        return trigger(call, inputs, outputs, **PRIVATE, **options)

    reading = those(*views.READING, "current", "original", "filter-top", "compare", *WHAT_IF, "pad")
    follow = those("sandbox", "shift-curve", "shift-text", "occlusion", "learning", "loss-curve")
    readings = []  # every event that fills the reading: Clear cancels those on their way, or they would refill it

    def reads(trigger, handler, inputs, also: tuple = (), slots: tuple = (CNN, AFTER), **options):
        """A reading event (which may change also these), then the experiments on what it read, each in its slots
        (the experiments' own: a classroom's pen-ups never wait behind them)."""
        event = on(trigger, handler, inputs, reading + those(*also), **options, **slots[0])
        readings.extend([event, on(event.success, page.experiments,
                                   those("current", *SANDBOX, "learning-step", "network", "lang"), follow, **slots[1])])

    # While the pen moves, readings have one slot of their own (LIVE), so a classroom drawing at once never queues
    # a pen-up behind its live readings, and they fill only the prediction and the panels. The pad numbers what it
    # sends, and its pen-up goes out at once: a live reading sent before it is dropped (handlers.Pen).
    pad = those("pad", "chosen", "network", "pen", "lang")
    readings.append(on(ui["pad"].sketch, page.sketch, pad, those(*views.READING, "pad"), data="n",
                       trigger_mode="always_last", js=DRAWN_JS, **LIVE))
    reads(ui["pad"].drawn, page.pen_up, pad, data="n", trigger_mode="always_last", js=DRAWN_JS,
          slots=(PEN, PEN_AFTER))
    reads(ui["upload"].upload, page.uploaded, those("upload", "chosen", "network", "lang"))
    reads(ui["examples"].select, page.example, those("chosen", "network", "lang"), data="index")
    reads(ui["mistakes"].select, page.mistake, those("chosen", "network", "lang"), data="index")
    for panel in render.MAP_LAYERS:
        on(ui[panel].select, partial(page.pick, panel=panel), those("current", "network", "lang"),
           those("kernel-detail", "chosen", "filter-top", *render.MAP_LAYERS), data="index",
           **CNN).success(None, js=TO_DETAIL_JS)
    reads(ui["lang"].change, page.relabel, those("current", "original", "chosen", "network", "lang"))
    for key in SANDBOX:
        on(ui[key].change, page.sandbox, those("current", *SANDBOX, "network", "lang"), those("sandbox"), **CNN)
    for key in WHAT_IF:  # "input": a person moved it (not the page putting it back)
        reads(ui[key].input, page.what_if, those("original", *WHAT_IF, "chosen", "network", "lang"),
              trigger_mode="always_last")
    reads(ui["reset"].click, page.reset, those("original", "chosen", "network", "lang"))
    on(ui["learning-step"].input, page.learning, those("learning-step", "current", "lang"),
       those("learning", "loss-curve"), trigger_mode="always_last", **CNN)
    own = ("network", "model-name", "model-status")
    reads(ui["own-upload"].upload, page.own, those("own-upload", "current", "original", "chosen", "lang"), own)
    reads(ui["use-shipped"].click, page.shipped, those("current", "original", "chosen", "lang"), own)
    on(ui["clear"].click, page.clear, [], reading + follow, js=CLEAR_JS, cancels=readings)
    ui["undo"].click(None, js=UNDO_JS)
    ui["all-ten"].change(None, ui["all-ten"], js=ALL_TEN_JS)
    gr.on([], page.predict, ui["api-file"], ui["api-label"], api_name="predict", trigger_mode="multiple",
          api_description="An image file of one digit -> the 10 class confidences (gr.Label format).", **CNN)


def build(model: Net, weights: Path = WEIGHTS) -> gr.Blocks:
    """The app's page and its events, for one loaded model (weights: its file, which names its misread digits)."""
    page = load_page(model, weights)
    # analytics_enabled=False: Gradio looks up no analytics host, at start or ever (schools ask for this)
    with PageBlocks(title="MNIST CNN", delete_cache=CACHE_CLEANUP, analytics_enabled=False) as demo:
        wire(page, layout(page))
    demo.page = page  # for the tests
    return demo.queue(**QUEUE)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--share", action="store_true", help="also ask Gradio for a public link (needs the internet)")
    parser.add_argument("--weights", type=Path, default=WEIGHTS, help="safetensors weights of the CNN")
    args = parser.parse_args()
    try:
        model = load_model(args.weights)
    except WeightsError as e:
        sys.exit(str(e))
    torch.set_num_threads(1)  # one small image at a time: more threads only add overhead
    few_malloc_arenas()  # before the server starts its threads
    demo = build(model, args.weights)
    READERS.warm()  # the first upload's reader, started before anyone waits for it
    # GRADIO_SERVER_NAME and GRADIO_SERVER_PORT are read by launch() itself
    if args.share:  # the public link's visitors reach the app from this machine: none of them is a trusted proxy
        os.environ.setdefault("FORWARDED_ALLOW_IPS", "")
    said = io.StringIO()
    with contextlib.redirect_stdout(said):  # held back: Gradio's own advice contradicts --share
        launch(demo, share=args.share, prevent_thread_lock=True)
    if args.share and not demo.share_url:
        print(f"No public link: Gradio's share server cannot be reached from this machine (is it offline?); "
              f"the app is served locally at {demo.local_url}")
    else:
        print(f"The app is served at {demo.local_url}" + (f" and {demo.share_url}" if demo.share_url else "")
              + ("" if args.share else "; `python app.py --share` also asks Gradio for a public link"))
    demo.block_thread()


if __name__ == "__main__":
    main()
