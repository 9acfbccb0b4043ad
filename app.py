"""Draw a digit and watch the seed's CNN read it, layer by layer, in Spanish or English (Gradio app and /predict API).

Run `python app.py` and open the address it prints; `python app.py --share` also asks Gradio for a public link.
This file only turns web/registry.py (the page's steps, parts and events, as data) into Gradio components and events.
"""
import argparse
import contextlib
import sys
from functools import partial
from itertools import groupby
from pathlib import Path

import gradio as gr
import torch

from mnist_cnn.checkpoint import WEIGHTS, WeightsError, load_model
from mnist_cnn.model import Net
from mnist_cnn.worker import READERS
from web import registry, widgets
from web.gradio_internals import PageBlocks, event_data
from web.handlers import Page
from web.registry import EVENTS, LANG, PAD, PARTS, SLOTS, LESSON, STEPS, WHOLE, Event, Loaded, Part
from web.serving import CACHE_CLEANUP, QUEUE, SAY, SCRIPTS, few_malloc_arenas, serve

PRIVATE = {"api_visibility": "private", "show_progress": "hidden"}  # the page's own events (callable all the same)
SIZES = {"size": "sm", "min_width": 70}  # the page's buttons


def control(part: Part, page: Page) -> gr.components.Component:
    """The Gradio component of a part that is not text."""
    o = {k: getattr(page, v.name) if isinstance(v, Loaded) else v for k, v in part.options.items()}
    label, named = SAY(part.label) if part.label else None, {"elem_id": part.id}
    match part.kind:
        case "picture":
            return widgets.html_view(part.id, pickable=o.get("pickable", False), value=o.get("value", ""))
        case "drawing":
            return widgets.drawing_pad()
        case "label":
            return gr.Label(label=label, **named)
        case "sentence":
            return widgets.status_line(part.id)
        case "checkbox":
            return gr.Checkbox(o["value"], label=label, **named)
        case "button":
            return gr.Button(label, **{**SIZES, **o}, **named)
        case "uploader":
            return widgets.UploadButton(label, **{**SIZES, **o}, **named)
        case "radio":
            return widgets.Radio(list(o["choices"]), value=o["value"], label=label, **named)
        case "slider":
            low, high, step = o["limits"]
            return widgets.Slider(low, high, value=o["value"], step=step, label=label, **named)
        case "plot":
            texts = {k: SAY(o.pop(k)) for k in ("label", "x_title", "y_title") if k in o}
            return gr.LinePlot(o.pop("value", None), **o, **texts, **named)
        case "state":
            return gr.State(o.get("value"), time_to_live=o.get("ttl"))
    raise ValueError(f"part {part.id}: no kind {part.kind!r}")


def make(part: Part, page: Page) -> gr.components.Component | None:
    """A part laid out: its heading, itself, its explanation; hidden where the page lacks what it needs."""
    with gr.Column(visible=bool(getattr(page, part.shown))) if part.shown else contextlib.nullcontext():
        if part.title:
            gr.Markdown(("## " if part.kind == "text" and part.step == PAD else "### ") + SAY(part.title))
        if part.kind == "answer":  # its question answered, it opens (handlers.Page.answer)
            with gr.Accordion(SAY(part.label), open=False, elem_id=part.id) as folded:
                gr.Markdown(SAY(part.text))
            return folded
        made = None if part.kind == "text" else control(part, page)
        if part.text:
            gr.Markdown(SAY(part.text), elem_id=part.id if part.kind == "text" else None)
    return made


def column(parts, page: Page, ui: dict, **options) -> None:
    """Parts one above the other, consecutive parts of one row side by side."""
    with gr.Column(min_width=290, **options):
        for row, together in groupby(parts, key=lambda p: p.row):
            with gr.Row() if row else contextlib.nullcontext():
                ui.update({p.id: made for p in together if (made := make(p, page)) is not None})


def layout(page: Page) -> dict[str, gr.components.Component]:
    """The page's components by part id, laid out: the pad and the prediction in a column that stays in view, beside
    the lesson's steps, one tab each (the pad first on a phone)."""
    ui = {}
    with gr.Row(equal_height=False, elem_id="top"):
        gr.Markdown("# " + SAY("app.title"))
        ui[LANG] = widgets.language_switch()
    shown = [p for p in PARTS if p.kind != "state"]
    with gr.Row(equal_height=False, elem_id="main"):
        column([p for p in shown if p.step == PAD], page, ui, scale=1, elem_id="pad-column")
        with gr.Column(scale=3, min_width=290), gr.Tabs(selected=STEPS[0].id, elem_id=LESSON) as ui[LESSON]:
            for number, step in enumerate(STEPS, 1):
                with gr.Tab(registry.numbered(number, step) + SAY(step.tab), id=step.id,
                            elem_id=f"step-{step.id}", alignment=step.alignment) as ui[f"step-{step.id}"]:
                    gr.Markdown(f"## {number}. " + SAY(step.title) if step.numbered else "## " + SAY(step.title))
                    with gr.Row(equal_height=False):  # one column, or two (one above the other on a phone)
                        for side in (0, 1):
                            if sided := [p for p in shown if p.step == step.id and p.side == side]:
                                column(sided, page, ui, elem_id=f"{step.id}-side-{side}")
    ui.update({p.id: control(p, page) for p in PARTS if p.kind == "state"})
    ui["api-file"] = widgets.ApiFile(label="image", visible=False)  # the /predict endpoint's own input and output
    ui["api-label"] = gr.Label(label="confidences", visible=False)
    return ui


def handler_of(page: Page, event: Event, ui: dict):
    """The event's handler as Gradio calls it: its inputs by position, handed on by name; its outputs by part id,
    handed back as {component: value} (an empty dict changes nothing)."""
    method = partial(getattr(page, event.handler), **event.given)
    names = [registry.name(k) for k in event.inputs]

    def answer(given: dict, args: tuple):
        out = method(**given, **dict(zip(names, args)))
        return {ui[k]: v for k, v in out.items() if k in event.outputs} or gr.skip()

    if event.data:  # Gradio fills a parameter hinted gr.EventData or gr.Request itself
        def call(evt: gr.EventData, *args):
            return answer({event.data: event_data(evt).get(event.data)}, args)
    elif event.request:
        def call(request: gr.Request, *args):
            return answer({"request": request}, args)
    else:
        def call(*args):
            return answer({}, args)
    call.__name__ = event.handler  # its name in Gradio's logs, traces and routes
    return call


def wire(page: Page, ui: dict) -> None:
    """The page's events, as the registry declares them."""
    def those(keys) -> list:
        return [ui[k] for k in keys]

    def on(trigger, event: Event, slots: str, js: str | None = None, **options):
        """event's handler on trigger, in those slots, with the page's language as it is when the event goes out."""
        if js is None and event.inputs[-1:] == (LANG,):
            js = widgets.with_page_language(len(event.inputs))
        return trigger(handler_of(page, event, ui), those(event.inputs), those(event.outputs), js=js, **PRIVATE,
                       concurrency_id=slots, concurrency_limit=SLOTS[slots], **event.options, **options)
    readings = []  # the events that fill the reading: Clear cancels those on their way, or they would refill it
    for event in EVENTS:
        trigger = getattr(ui[event.part], event.trigger)
        js = SCRIPTS[event.js] if event.js else None
        if event.handler is None:  # the browser's alone
            trigger(None, those(event.inputs), js=js)
        elif event.cancels:
            on(trigger, event, event.slots, js, cancels=readings)
        else:
            done = on(trigger, event, event.slots, js)
            if event.after_js:
                done.success(None, js=SCRIPTS[event.after_js])
            if event.fills_reading:
                readings.append(done)
            if event.then:
                readings.append(on(done.success, registry.AFTER_READING, event.then))
    gr.on([], page.predict, ui["api-file"], ui["api-label"], api_name="predict", trigger_mode="multiple",
          api_description="An image file of one digit -> the 10 class confidences (gr.Label format).",
          concurrency_id="cnn", concurrency_limit=SLOTS["cnn"])


def build(model: Net, weights: Path = WEIGHTS) -> gr.Blocks:
    """The app's page and its events, for one loaded model (weights: its file, which names its misread digits)."""
    page = Page.load(model, weights)
    # analytics_enabled=False: Gradio looks up no analytics host, at start or ever (schools ask for this)
    with PageBlocks(title="MNIST CNN", delete_cache=CACHE_CLEANUP, analytics_enabled=False) as demo:
        wire(page, {**layout(page), WHOLE: demo})
    demo.page = page  # for the tests
    return demo.queue(**QUEUE)


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
    serve(demo, share=args.share)

if __name__ == "__main__":
    main()
