"""Draw a digit and watch the seed's CNN read it, layer by layer, in Spanish or English (Gradio app and /predict API).

Run `python app.py` and open the address it prints; `python app.py --share` also asks Gradio for a public link.
"""
import argparse
import contextlib
import ctypes
import io
import os
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before Gradio loads: no look-ups of its analytics hosts

import gradio as gr  # noqa: E402
import torch  # noqa: E402
from gradio.utils import get_upload_folder  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from mnist_cnn import i18n, inputs, render, text, views  # noqa: E402
from mnist_cnn.checkpoint import WEIGHTS, WeightsError, load_model  # noqa: E402
from mnist_cnn.data import load_mnist  # noqa: E402
from mnist_cnn.door import Door  # noqa: E402
from mnist_cnn.errors import BlankImageError, InputError  # noqa: E402
from mnist_cnn.mistakes import StaleMistakesError, load_mistakes  # noqa: E402
from mnist_cnn.model import Net  # noqa: E402
from mnist_cnn.pipeline import Reading, confidences, read_digit, read_mnist, read_prepared  # noqa: E402
from mnist_cnn.preprocess import Prepared  # noqa: E402
from mnist_cnn.render_detail import DETAIL_CSS  # noqa: E402
from mnist_cnn.widgets import (CLEAR_JS, DRAWN_JS, READ, UNDO_JS, ApiFile, UploadButton, drawing_pad,  # noqa: E402
                               language_switch, picture, with_page_language)  # noqa: E402

EXAMPLE_DIGITS = range(10)  # one real MNIST test digit of each class
# Every event that runs the network shares these slots. Two keep both cores busy (one torch thread each) while a
# large upload is read; more only add memory: reading a 5000×5000 PNG (the pixel limit) peaks at ~200 MB.
CNN = {"concurrency_id": "cnn", "concurrency_limit": 2}
PRIVATE = {"api_visibility": "private", "show_progress": "hidden"}  # the page's own events (callable all the same)
# Queue positions are sent every second, not to every waiting request each time one starts: with a classroom
# waiting, those messages cost the server more than the network does (bench/bench_load.py).
QUEUE = {"status_update_rate": 1, "max_size": 256}  # 256 waiting: a few seconds of work, then "queue is full"
CACHE_CLEANUP = (600, 600)  # every 10 minutes, Gradio deletes the uploads it keeps that are older than 10 minutes
SESSION_TTL = 3600  # seconds a session's own state (its reading, its chosen filter) lives after its last change

CSS = """
#mistakes img, #examples img { image-rendering: pixelated; }
#softmax-steps { overflow-x: auto; }
#saliency img { width: 224px; }  /* sent at 28×28: the page scales it up, without blur */
body:not(.all-ten) #prediction .confidence-set:nth-of-type(n+4) { display: none; }
#prediction .confidence-set { pointer-events: none; }  /* the rows do nothing when clicked */
.unsure { padding: 6px 10px; border-left: 4px solid #b45309; background: #fff7ed; color: #222; }
#status [role=status]:not(:empty) { padding: 6px 10px; border-left: 4px solid #b91c1c; background: #fef2f2;
                                     color: #222; }
"""
ALL_TEN_JS = "(on) => { document.body.classList.toggle('all-ten', on); }"  # the checkbox shows or hides 4 to 10
# after a map is picked: its filter opens far below the maps, so the page goes there
TO_DETAIL_JS = "() => { document.querySelector('#kernel-detail')?.scrollIntoView(); }"

# what launch() needs besides the address; the tests launch with it too
# run_history=False: Gradio keeps no record of the calls (no run history page, no saving them to a Hub bucket)
LAUNCH = {"i18n": gr.I18n(en=text.EN, es=text.ES), "css": CSS + i18n.CSS + DETAIL_CSS, "max_file_size": "5mb",
          "run_history": False, "state_session_capacity": 2000,
          "app_kwargs": {"middleware": [Middleware(Door, upload_folder=get_upload_folder())]}}


@dataclass
class App:
    """What every handler needs: the shipped network and the MNIST test digits (examples, mistakes)."""
    model: Net
    images: torch.Tensor  # uint8 (10000, 28, 28)
    labels: torch.Tensor
    mistakes: list[dict]
    examples: list[int]  # indices into images, one per digit
    upload_folder: str

    def show(self, reading: Reading, chosen, lang: str) -> dict:
        """Every output of a reading, and the reading kept in the session for clicks and the language switch."""
        return {**views.reading_view(self.model, reading, chosen, lang), "current": reading.prepared}

    def read(self, source, chosen, lang: str) -> dict:
        """Read an image the visitor sent; an input error keeps the page as it was and says what is wrong."""
        try:
            return self.show(read_digit(self.model, source), chosen, lang)
        except BlankImageError as e:  # never a confident answer to a blank page
            return {**views.blank_view(e, lang), "current": None}
        except InputError as e:
            return {"status": views.status(e, lang)}

    def drawn(self, value, chosen, lang) -> dict:
        """The pad's drawing -> every output; the pad gets READ back, so the session does not keep the drawing."""
        lang = i18n.language(lang)
        try:
            png = inputs.drawing(value)
        except InputError as e:
            return {"status": views.status(e, lang), "pad": READ}
        if png is None:  # the pad was emptied (Undo of the last stroke)
            return {**views.blank_view(), "current": None}
        return {**self.read(png, chosen, lang), "pad": READ}

    def uploaded(self, path, chosen, lang) -> dict:
        """An uploaded file -> every output, the pad emptied so that the page shows one input."""
        lang = i18n.language(lang)
        try:
            path = inputs.uploaded(path, self.upload_folder)
        except InputError as e:
            return {"status": views.status(e, lang)}
        out = self.read(path, chosen, lang)
        return {**out, "pad": ""} if "current" in out else out

    def digit(self, index, chosen, lang, reader, images) -> dict:
        """A click on one of a row of test digits -> every output for it, the pad emptied; a bad index: nothing."""
        try:
            i = inputs.whole(index, 0, len(images) - 1)
        except ValueError:
            return {}
        return {**self.show(reader(self.model, self.images[images[i]]), chosen, i18n.language(lang)), "pad": ""}

    def pick(self, index, current: Prepared | None, lang, panel: str) -> dict:
        """A map picked in a panel -> its filter worked out, the choice kept, both panels of maps with it framed."""
        try:
            channel = inputs.whole(index, 0, render.GRIDS[panel].channels - 1)
        except ValueError:
            return {}
        if current is None:
            return {}
        chosen = (render.MAP_LAYERS[panel], channel)
        return {**views.picked_view(self.model, current.tensor, chosen, i18n.language(lang)), "chosen": chosen}

    def relabel(self, current: Prepared | None, chosen, lang) -> dict:
        """The page's language changed: the current reading again, its numbers and alt texts in that language."""
        if current is None:
            return {}
        return self.show(read_prepared(self.model, current), chosen, i18n.language(lang))

    def clear(self) -> dict:
        """Clear: no drawing, every output emptied."""
        return {**views.blank_view(), "current": None, "pad": ""}

    def predict(self, path) -> dict[str, float]:
        """The /predict endpoint: an uploaded image file -> the 10 class confidences."""
        try:
            return confidences(read_digit(self.model, inputs.uploaded(path, self.upload_folder)))
        except InputError as e:  # the sender's mistake: one sentence, no traceback in the log
            raise gr.Error(i18n.sentence(e), print_exception=False) from None


def read_as_drawn(model: Net, image: torch.Tensor) -> Reading:
    """An MNIST digit (uint8 28×28) read as a drawing is: through the app's preprocessing."""
    return read_digit(model, image.numpy())


def load_app(model: Net, weights: Path = WEIGHTS) -> App:
    """The model with the data the page shows: the MNIST test digits and the misread ones."""
    images, labels = load_mnist("test")
    try:
        mistakes = load_mistakes(weights=weights)
    except StaleMistakesError as e:  # the app still works; only the gallery of mistakes is left out
        print(f"No gallery of misread digits: {e}", file=sys.stderr)
        mistakes = []
    examples = [int((labels == d).nonzero()[0]) for d in EXAMPLE_DIGITS]
    return App(model, images, labels, mistakes, examples, get_upload_folder())


def heading(key: str, level: int = 3) -> None:
    """A heading in the page's language."""
    gr.Markdown("#" * level + " " + LAUNCH["i18n"](key))


def panel(key: str, component: gr.components.Component) -> None:
    """A panel: its title, its picture, its explanation."""
    heading(f"{key}.title")
    component.render()
    gr.Markdown(LAUNCH["i18n"](f"{key}.text"))


def layout(app: App) -> dict[str, gr.components.Component]:
    """The page's components, laid out, by element id (and a few by name: "current", "chosen")."""
    say = LAUNCH["i18n"]
    ui = {}
    with gr.Row(equal_height=False, elem_id="top"):
        gr.Markdown("# " + say("app.title"))
        ui["lang"] = language_switch()
    gr.Markdown(say("app.intro"))
    for key in render.PANELS + views.CLOSE_UP:
        ui[key] = picture(key, render=False, pickable=key in render.MAP_LAYERS)
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=290):
            heading("draw.label")
            ui["pad"] = drawing_pad()
            with gr.Row():
                ui["undo"] = gr.Button(say("undo"), elem_id="undo", size="sm", min_width=80)
                ui["clear"] = gr.Button(say("clear"), elem_id="clear", size="sm", variant="stop", min_width=80)
                ui["upload"] = UploadButton(say("upload.label"), file_types=["image"], size="sm", elem_id="upload",
                                            min_width=80)
            ui["status"] = gr.HTML("", html_template='<div role="status">${value}</div>', elem_id="status")
            gr.Markdown(say("draw.hint"))
        with gr.Column(scale=2, min_width=290):
            heading("prediction.label")
            ui["prediction"] = gr.Label(show_label=False, elem_id="prediction")  # all 10 sent, 3 shown (see CSS)
            ui["unsure"] = gr.HTML("", elem_id="unsure")
            ui["all-ten"] = gr.Checkbox(False, label=say("prediction.all"), elem_id="all-ten")
            panel("input28", ui["input28"])
    heading("examples.label")
    ui["examples"] = picture("examples", pickable=True, value=i18n.bilingual(
        views.examples_html, app.images[app.examples], app.labels[app.examples]))
    for first in range(1, len(render.PANELS), 2):  # the stages two by two, each pair a row that stacks on a phone
        with gr.Row(equal_height=False):
            for key in render.PANELS[first:first + 2]:
                with gr.Column(min_width=290):
                    panel(key, ui[key])
    heading("closer.title", 2)
    gr.Markdown(say("closer.intro"))
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=290):
            heading("kernel-detail.title")
            gr.Markdown(say("kernel-detail.hint"))
            ui["kernel-detail"].render()
        with gr.Column(scale=2, min_width=290):
            heading("saliency.title")
            ui["saliency"].render()
    with gr.Row(equal_height=False):
        with gr.Column(min_width=290):
            heading("softmax-steps.title")
            ui["softmax-steps"].render()
        if app.mistakes:
            with gr.Column(min_width=290):
                heading("mistakes.title")
                gr.HTML(i18n.bilingual(lambda lang: i18n.t("mistakes.intro", lang, n=len(app.mistakes),
                                                           total=len(app.labels))))
                ui["mistakes"] = picture("mistakes", pickable=True,
                                         value=i18n.bilingual(views.mistakes_html, app.mistakes, app.images))
    with gr.Accordion(say("explain.title"), open=False):
        for key in ("explain.padding", "explain.stride", "explain.dim1"):
            gr.Markdown(say(key))
    ui["current"] = gr.State(None, time_to_live=SESSION_TTL)  # the Prepared input now on the page
    ui["chosen"] = gr.State(None, time_to_live=SESSION_TTL)  # (layer, channel) of the filter picked last
    ui["api-file"] = ApiFile(label="image", visible=False)  # the /predict endpoint's own input and output
    ui["api-label"] = gr.Label(label="confidences", visible=False)
    return ui


def wire(app: App, ui: dict) -> None:
    """The page's events. Each handler returns a dict by element id; it reaches Gradio as {component: value}, and an
    empty one changes nothing."""
    def those(*keys: str) -> list:
        return [ui[k] for k in keys if k in ui]

    def on(trigger, handler, inputs: list, outputs: list, picked: bool = False, **options):
        """Run handler on trigger; with picked, its first argument is the picked button's index."""
        def named(out: dict):
            return {ui[k]: v for k, v in out.items()} or [gr.skip()] * len(outputs)
        if picked:  # Gradio hands gr.SelectData to a parameter with that type hint; these take two inputs
            def call(state, lang, evt: gr.SelectData):
                return named(handler(evt.index, state, lang))
        else:
            def call(*args):
                return named(handler(*args))
        if inputs and inputs[-1] is ui["lang"]:  # the page's language as it is when the event goes out
            options.setdefault("js", with_page_language(len(inputs)))
        return trigger(call, inputs, outputs, **PRIVATE, **options)

    reading = those(*views.READING, "current")
    # always_last: a drawing sent while the last one is read waits, and only the newest is read
    on(ui["pad"].drawn, app.drawn, those("pad", "chosen", "lang"), reading + [ui["pad"]], trigger_mode="always_last",
       js=DRAWN_JS, **CNN)
    on(ui["upload"].upload, app.uploaded, those("upload", "chosen", "lang"), reading + [ui["pad"]], **CNN)
    on(ui["examples"].select, partial(app.digit, reader=read_as_drawn, images=app.examples), those("chosen", "lang"),
       reading + [ui["pad"]], picked=True, **CNN)
    if "mistakes" in ui:
        on(ui["mistakes"].select, partial(app.digit, reader=read_mnist, images=[m["index"] for m in app.mistakes]),
           those("chosen", "lang"), reading + [ui["pad"]], picked=True, **CNN)
    for panel in render.MAP_LAYERS:
        on(ui[panel].select, partial(app.pick, panel=panel), those("current", "lang"),
           those("kernel-detail", "chosen", *render.MAP_LAYERS), picked=True, **CNN).success(None, js=TO_DETAIL_JS)
    on(ui["lang"].change, app.relabel, those("current", "chosen", "lang"), reading, **CNN)
    on(ui["clear"].click, app.clear, [], reading + [ui["pad"]], js=CLEAR_JS, queue=False)
    ui["undo"].click(None, js=UNDO_JS)
    ui["all-ten"].change(None, ui["all-ten"], js=ALL_TEN_JS)
    gr.on([], app.predict, ui["api-file"], ui["api-label"], api_name="predict", trigger_mode="multiple",
          api_description="An image file of one digit -> the 10 class confidences (gr.Label format).", **CNN)


def build(model: Net, weights: Path = WEIGHTS) -> gr.Blocks:
    """The app's page and its events, for one loaded model (weights: its file, which names its misread digits)."""
    app = load_app(model, weights)
    with gr.Blocks(title="MNIST CNN", delete_cache=CACHE_CLEANUP) as demo:
        wire(app, layout(app))
    demo.app_state = app  # for the tests
    return demo.queue(**QUEUE)


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
    # GRADIO_SERVER_NAME and GRADIO_SERVER_PORT are read by launch() itself
    said = io.StringIO()
    with contextlib.redirect_stdout(said):  # held back: Gradio's own advice contradicts --share
        demo.launch(share=args.share, prevent_thread_lock=True, **LAUNCH)
    if args.share and not demo.share_url:
        print(f"No public link: Gradio's share server cannot be reached from this machine (is it offline?); "
              f"the app is served locally at {demo.local_url}")
    else:
        print(f"The app is served at {demo.local_url}" + (f" and {demo.share_url}" if demo.share_url else "")
              + ("" if args.share else "; `python app.py --share` also asks Gradio for a public link"))
    demo.block_thread()


if __name__ == "__main__":
    main()
