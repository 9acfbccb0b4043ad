"""Draw a digit and watch the seed's CNN read it, layer by layer, in Spanish or English (Gradio app and /predict API).

Run `python app.py` and open the address it prints; `python app.py --share` also asks Gradio for a public link.
"""
import argparse
import contextlib
import ctypes
import html
import io
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

import gradio as gr
import torch
from gradio.i18n import I18nData
from PIL import Image, ImageOps

from mnist_cnn import render, text
from mnist_cnn.analysis import kernel_detail, saliency, softmax_steps
from mnist_cnn.checkpoint import WEIGHTS, WeightsError, load_model
from mnist_cnn.data import load_mnist
from mnist_cnn.mistakes import StaleMistakesError, load_mistakes
from mnist_cnn.model import Net
from mnist_cnn.pipeline import Reading, activations, confidences, read_digit, read_mnist
from mnist_cnn.errors import BlankImageError, InputError
from mnist_cnn.i18n import CSS as I18N_CSS
from mnist_cnn.i18n import bilingual, sentence
from mnist_cnn.render_detail import (DETAIL_CSS, kernel_html, kernel_picture, mistakes_gallery,
                                     mistakes_intro, saliency_caption, saliency_picture, softmax_html)
from mnist_cnn.widgets import (CLEAR_JS, UNDO_JS, ImageUpload, close_up, data_url, drawing_pad, figure,
                               language_switch, picture)

# The outputs in the order the data flows; each id is also the element id the page and the tests look for.
PANELS = ("input28", "act-conv1", "act-pool1", "act-conv2", "act-pool2", "act-fc1", "act-output")
CLOSE_UP = ("kernel-detail", "saliency", "softmax-steps")  # the "Look closer" part, under the panels
OUTPUTS = ("prediction",) + PANELS + CLOSE_UP + ("status",)
MAPS = {"act-conv1": "conv1", "act-conv2": "conv2"}  # panels whose maps open their filter in kernel-detail
EXAMPLE_DIGITS = range(10)  # one real MNIST test digit of each class
# Every event that runs the network shares these slots. Two keep both cores busy (one torch thread each) while a
# large upload is read; more only add memory: reading a 5000×5000 PNG (the pixel limit) peaks at ~200 MB.
CNN = {"concurrency_id": "cnn", "concurrency_limit": 2}
# Queue positions are sent every second, not to every waiting request each time one starts: with a classroom
# waiting, those messages cost the server more than the network does (bench/bench_load.py).
QUEUE = {"status_update_rate": 1, "max_size": 256}  # 256 waiting: a few seconds of work, then "queue is full"
CACHE_CLEANUP = (600, 600)  # every 10 minutes, Gradio deletes the uploads it keeps that are older than 10 minutes
i18n = gr.I18n(en=text.EN, es=text.ES)

CSS = """
#examples img, #mistakes img { image-rendering: pixelated; }
#softmax-steps { overflow-x: auto; }
#saliency img { width: 224px; }  /* sent at 28×28: the page scales it up, without blur */
#mistakes .grid-container { grid-template-columns: repeat(auto-fill, minmax(104px, 1fr)); }  /* as many as fit */
body:not(.all-ten) #prediction .confidence-set:nth-of-type(n+4) { display: none; }
"""
ALL_TEN_JS = "(on) => { document.body.classList.toggle('all-ten', on); }"  # the checkbox shows or hides 4 to 10
# after a click on a map: its filter opens far below the maps, so the page goes there
TO_DETAIL_JS = "() => { document.querySelector('#kernel-detail')?.scrollIntoView(); }"

# what launch() needs besides the address; the tests launch with it too
# run_history=False: Gradio keeps no record of the calls (no run history page, no saving them to a Hub bucket)
LAUNCH = {"i18n": i18n, "css": CSS + I18N_CSS + DETAIL_CSS,  # I18N_CSS shows only the page's language
          "max_file_size": "5mb", "run_history": False}


def blank_outputs(status: str | I18nData = "") -> list:
    """Every output emptied (no prediction, no pictures), with a status line; then no input kept for clicks."""
    return [None] * (len(OUTPUTS) - 1) + [status, None]


def error_popup(e: InputError) -> gr.Error:
    """An input error as a popup in the page's language (DETAIL_CSS hides the other), with no traceback in the log."""
    return gr.Error(bilingual(lambda lang: html.escape(sentence(e, lang))), print_exception=False)


def kernel_view(model: Net, x: torch.Tensor, chosen: tuple[str, int], acts: dict | None = None) -> str:
    """The chosen filter (layer, channel) worked out on input x (1, 1, 28, 28): where it looked, and the numbers.

    acts: x's activations, without the batch dimension, if they are at hand (else the forward pass runs again)."""
    acts = None if acts is None else {k: v[None] for k, v in acts.items()}
    detail = kernel_detail(model, x, *chosen, acts)
    return figure(kernel_picture(detail, side=180), f"{chosen[0]} #{chosen[1]}", bilingual(kernel_html, detail))


def outputs_of(model: Net, reading: Reading, chosen: tuple[str, int] | None) -> list:
    """A reading -> the prediction, every panel, the close-ups and an empty status; then its input, kept for clicks."""
    if chosen is None:  # before any click on a map: the conv1 filter whose map is strongest
        chosen = ("conv1", int(reading.activations["conv1_relu"].amax((1, 2)).argmax()))
    pictures = render.panels(reading.prepared, reading.activations, model, chosen)  # the chosen map framed
    x = reading.prepared.tensor
    why = saliency(model, x)  # for the predicted class
    close = [kernel_view(model, x, chosen, reading.activations),
             figure(saliency_picture(x, why, scale=1), "saliency", bilingual(saliency_caption, why)),  # CSS scales
             bilingual(softmax_html, softmax_steps(reading.activations["logits"]))]
    return [confidences(reading)] + [data_url(pictures[k]) for k in PANELS] + close + ["", x]


def show(model: Net, source, chosen: tuple[str, int] | None = None) -> list:
    """A drawing or image -> every output (see outputs_of); an empty drawing empties them."""
    if source is None or source == "":
        return blank_outputs()
    try:
        reading = read_digit(model, source)
    except BlankImageError:
        return blank_outputs(i18n("error.blank"))  # shown in the page's language, and no answer
    except InputError as e:
        raise error_popup(e) from None  # the previous reading stays on the page
    return outputs_of(model, reading, chosen)


def show_file(model: Net, path: str | None, chosen: tuple[str, int] | None = None) -> list:
    """An uploaded or example image -> as show(), with the drawing emptied so that the page shows one input."""
    return [""] + show(model, path, chosen)


def pick_map(model: Net, panel: str, x: torch.Tensor | None, evt: gr.SelectData) -> list:
    """A click on a map of conv1 or conv2 -> that filter worked out on the current input, the choice kept, and the
    conv1 and conv2 panels again, with the clicked map framed."""
    try:
        channel = render.grid_cell(panel, *evt.index)
    except (TypeError, ValueError):  # not an (x, y) pixel
        channel = None
    if x is None or channel is None:  # a gap, a margin, the colour bar, or nothing read yet
        return [gr.skip()] * (2 + len(MAPS))
    chosen = (MAPS[panel], channel)
    acts = activations(model, x)
    framed = [data_url(render.grid_picture(key, acts, model, chosen)) for key in MAPS]
    return [kernel_view(model, x, chosen, acts), chosen] + framed


def show_mistake(model: Net, images, mistakes: list[dict], chosen: tuple[str, int] | None,
                 evt: gr.SelectData) -> list:
    """A click on a misread test digit -> every output for it, read as the evaluation read it; no drawing, no upload."""
    if not isinstance(evt.index, int) or not 0 <= evt.index < len(mistakes):  # not one of the gallery's pictures
        return [gr.skip()] * (len(OUTPUTS) + 3)
    reading = read_mnist(model, images[mistakes[evt.index]["index"]])
    return ["", None] + outputs_of(model, reading, chosen)


def predict(model: Net, image) -> dict[str, float]:
    """The /predict endpoint: an image file -> the 10 class confidences."""
    try:
        return confidences(read_digit(model, image))
    except InputError as e:
        raise gr.Error(sentence(e), print_exception=False) from None  # the sender's mistake: no traceback in the log


def clear() -> list:
    """Clear: no drawing, no upload, every output reset."""
    return ["", None] + blank_outputs()


def example_files(folder: Path) -> list[str]:
    """PNGs of the first MNIST test digit of each class, black on white like a drawing, written to folder."""
    images, labels = load_mnist("test")
    paths = []
    for d in EXAMPLE_DIGITS:
        i = int((labels == d).nonzero()[0])
        path = folder / f"mnist_test_{i}_digit_{d}.png"
        ImageOps.invert(Image.fromarray(images[i].numpy())).save(path)
        paths.append(str(path))
    return paths


def panel(key: str, component: gr.components.Component) -> None:
    """A panel: its title, its picture, its explanation."""
    gr.Markdown("### " + i18n(f"{key}.title"))
    component.render()
    gr.Markdown(i18n(f"{key}.text"))


def build(model: Net, weights: Path = WEIGHTS) -> gr.Blocks:
    """The app's page and its events, for one loaded model (weights: its file, which names its misread digits)."""
    images, labels = load_mnist("test")
    try:
        mistakes = load_mistakes(weights=weights)
    except StaleMistakesError as e:  # the app still works; only the gallery of mistakes is left out
        print(f"No gallery of misread digits: {e}", file=sys.stderr)
        mistakes = []
    with gr.Blocks(title="MNIST CNN", delete_cache=CACHE_CLEANUP) as demo:
        with gr.Row(equal_height=False):
            gr.Markdown("# " + i18n("app.title"))
            language_switch()
        gr.Markdown(i18n("app.intro"))

        pictures = [picture(key, alt=text.EN[f"{key}.title"], render=False, clickable=key in MAPS)
                    for key in PANELS]
        closer = [close_up(key, render=False) for key in CLOSE_UP]
        chosen = gr.State(None)  # (layer, channel) of the map last clicked, whose filter follows every drawing
        current = gr.State(None)  # the input (1, 1, 28, 28) now on the page, for clicks on its maps
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                gr.Markdown("### " + i18n("draw.label"))
                pad = drawing_pad()
                gr.Markdown(i18n("draw.hint"))
                status = gr.Markdown(elem_id="status")
                with gr.Row():
                    undo = gr.Button(i18n("undo"), elem_id="undo", size="sm", min_width=80)
                    clear_button = gr.Button(i18n("clear"), elem_id="clear", size="sm", variant="stop", min_width=80)
            with gr.Column(scale=2):
                gr.Markdown("### " + i18n("prediction.label"))
                prediction = gr.Label(show_label=False, elem_id="prediction")  # all 10 sent, 3 shown (see CSS)
                all_ten = gr.Checkbox(False, label=i18n("prediction.all"), elem_id="all-ten")
                panel("input28", pictures[0])
        outputs = [prediction] + pictures + closer + [status, current]
        with gr.Row(equal_height=False):
            upload = ImageUpload(sources=["upload", "clipboard"], render=False, label=i18n("upload.label"),
                                 height=180, elem_id="upload")  # the file reaches show_file unopened
            with gr.Column(scale=3):
                paths = example_files(Path(tempfile.mkdtemp(prefix="mnist_examples_")))
                gr.Examples([[path, None] for path in paths], inputs=[upload, chosen],  # the filter chosen stays
                            outputs=[pad] + outputs, fn=partial(show_file, model), run_on_click=True,
                            cache_examples=False, label=i18n("examples.label"), elem_id="examples",
                            examples_per_page=10, api_visibility="private")
            with gr.Column(scale=1, min_width=240):
                upload.render()
        for first in range(1, len(PANELS), 2):  # the stages two by two, each pair a row that stacks on a phone
            with gr.Row(equal_height=False):
                for key, shown in zip(PANELS[first:first + 2], pictures[first:first + 2]):
                    with gr.Column(min_width=300):
                        panel(key, shown)

        gr.Markdown("## " + i18n("closer.title"))
        gr.Markdown(i18n("closer.intro"))
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                gr.Markdown("### " + i18n("kernel-detail.title"))
                gr.Markdown(i18n("kernel-detail.hint"))
                closer[0].render()
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### " + i18n("saliency.title"))
                closer[1].render()
        with gr.Row(equal_height=False):
            with gr.Column(min_width=300):
                gr.Markdown("### " + i18n("softmax-steps.title"))
                closer[2].render()
            if mistakes:
                with gr.Column(min_width=300):
                    gr.Markdown("### " + i18n("mistakes.title"))
                    gr.HTML(bilingual(mistakes_intro, len(mistakes), len(labels)))
                    gallery = gr.Gallery(mistakes_gallery(mistakes, images), format="png", height=440,
                                         allow_preview=False, interactive=False, show_label=False, buttons=[],
                                         elem_id="mistakes")
        with gr.Accordion(i18n("explain.title"), open=False):
            for key in ("explain.padding", "explain.stride", "explain.dim1"):
                gr.Markdown(i18n(key))
        api_file = gr.File(label="image", visible=False)  # the /predict endpoint's own input and output
        api_label = gr.Label(label="confidences", visible=False)

        # always_last: a stroke ended while the last one is read waits, then only the newest drawing is read
        pad.drawn(partial(show, model), [pad, chosen], outputs, trigger_mode="always_last", show_progress="hidden",
                  api_visibility="private", **CNN)
        upload.upload(partial(show_file, model), [upload, chosen], [pad] + outputs, api_visibility="private", **CNN)

        # defs, not partials, for the select events: Gradio finds gr.SelectData by a handler's own type hints
        def on_map(panel: str) -> Callable:
            def pick(x: torch.Tensor | None, evt: gr.SelectData) -> list:
                return pick_map(model, panel, x, evt)
            return pick

        def on_mistake(chosen_now: tuple[str, int] | None, evt: gr.SelectData) -> list:
            return show_mistake(model, images, mistakes, chosen_now, evt)

        clickable = [pictures[PANELS.index(key)] for key in MAPS]  # a click redraws both, to move the frame
        for key, maps in zip(MAPS, clickable):
            maps.select(on_map(key), current, [closer[0], chosen] + clickable, show_progress="hidden",
                        api_visibility="private", **CNN).success(None, js=TO_DETAIL_JS)
        if mistakes:
            gallery.select(on_mistake, chosen, [pad, upload] + outputs, show_progress="hidden",
                           api_visibility="private", **CNN)
        upload.clear(blank_outputs, None, outputs, api_visibility="private", queue=False)
        undo.click(None, js=UNDO_JS)
        clear_button.click(clear, None, [pad, upload] + outputs, js=CLEAR_JS, api_visibility="private", queue=False)
        all_ten.change(None, all_ten, js=ALL_TEN_JS)
        gr.on([], partial(predict, model), api_file, api_label, api_name="predict", trigger_mode="multiple",
              api_description="An image file of one digit -> the 10 class confidences (gr.Label format).", **CNN)
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
    with contextlib.redirect_stdout(said):  # held back: a failed share link makes Gradio print a page of advice
        demo.launch(share=args.share, prevent_thread_lock=True, **LAUNCH)
    if args.share and not demo.share_url:
        print(f"No public link: Gradio's share server cannot be reached from this machine (is it offline?); "
              f"the app is served locally at {demo.local_url}")
    else:
        print(said.getvalue(), end="")
    demo.block_thread()


if __name__ == "__main__":
    main()
