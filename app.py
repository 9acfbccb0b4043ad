"""Draw a digit and watch the seed's CNN read it, layer by layer, in Spanish or English (Gradio app and /predict API).

Run `python app.py` and open the address it prints; `python app.py --share` also asks Gradio for a public link.
"""
import argparse
import sys
import tempfile
from functools import partial
from pathlib import Path

import gradio as gr
from gradio.i18n import I18nData
import torch
from PIL import Image, ImageOps

from mnist_cnn import render, text
from mnist_cnn.widgets import CLEAR_JS, UNDO_JS, data_url, drawing_pad, language_switch, picture
from mnist_cnn.checkpoint import WEIGHTS, WeightsError, load_model
from mnist_cnn.data import load_mnist
from mnist_cnn.model import Net
from mnist_cnn.pipeline import confidences, read_digit
from mnist_cnn.preprocess import BlankImageError, InputError

# The outputs in the order the data flows; each id is also the element id the page and the tests look for.
PANELS = ("input28", "act-conv1", "act-pool1", "act-conv2", "act-pool2", "act-fc1", "act-output")
OUTPUTS = ("prediction",) + PANELS + ("status",)
EXAMPLE_DIGITS = range(10)  # one real MNIST test digit of each class
CNN = {"concurrency_id": "cnn", "concurrency_limit": 4}  # every event that runs the network shares these slots
i18n = gr.I18n(en=text.EN, es=text.ES)

CSS = """
#draw-column { min-width: 300px; }
#examples img { image-rendering: pixelated; }
"""

LAUNCH = {"i18n": i18n, "css": CSS}  # what launch() needs besides the address; the tests launch with it too

def blank_outputs(status: str | I18nData = "") -> list:
    """Every output emptied (no prediction, no pictures), with a status line."""
    return [None] * (len(OUTPUTS) - 1) + [status]


def show(model: Net, source) -> list:
    """A drawing or image -> the prediction and every panel's picture; an empty drawing empties them."""
    if source is None or source == "":
        return blank_outputs()
    try:
        reading = read_digit(model, source)
    except BlankImageError:
        return blank_outputs(i18n("error.blank"))  # shown in the page's language, and no answer
    except InputError as e:
        raise gr.Error(str(e)) from None  # the previous reading stays on the page
    pictures = render.panels(reading.prepared, reading.activations, model)
    return [confidences(reading)] + [data_url(pictures[k]) for k in PANELS] + [""]


def show_file(model: Net, path: str | None) -> list:
    """An uploaded or example image -> as show(), with the drawing emptied so that the page shows one input."""
    return [""] + show(model, path)


def predict(model: Net, image) -> dict[str, float]:
    """The /predict endpoint: an image file -> the 10 class confidences."""
    try:
        return confidences(read_digit(model, image))
    except InputError as e:
        raise gr.Error(str(e)) from None


def clear() -> list:
    """Clear: no drawing, no upload, every output reset."""
    return ["", None] + blank_outputs()


def show_all(on: bool) -> gr.Label:
    """Show all 10 digits in the prediction, or the top 3."""
    return gr.Label(num_top_classes=10 if on else 3)


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


def build(model: Net) -> gr.Blocks:
    """The app's page and its events, for one loaded model."""
    with gr.Blocks(title="MNIST CNN") as demo:
        with gr.Row(equal_height=False):
            gr.Markdown("# " + i18n("app.title"))
            language_switch()
        gr.Markdown(i18n("app.intro"))

        pictures = [picture(key, alt=key, render=False) for key in PANELS]
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, elem_id="draw-column"):
                gr.Markdown("### " + i18n("draw.label"))
                pad = drawing_pad()
                gr.Markdown(i18n("draw.hint"))
                status = gr.Markdown(elem_id="status")
                with gr.Row():
                    undo = gr.Button(i18n("undo"), elem_id="undo", size="sm")
                    clear_button = gr.Button(i18n("clear"), elem_id="clear", size="sm", variant="stop")
                upload = gr.Image(type="filepath", image_mode=None, sources=["upload", "clipboard"],
                                  label=i18n("upload.label"), height=180, elem_id="upload")
            with gr.Column(scale=2):
                gr.Markdown("### " + i18n("prediction.label"))
                prediction = gr.Label(num_top_classes=3, show_label=False, elem_id="prediction")
                all_ten = gr.Checkbox(False, label=i18n("prediction.all"), elem_id="all-ten")
                panel("input28", pictures[0])
        outputs = [prediction] + pictures + [status]
        gr.Examples(example_files(Path(tempfile.mkdtemp(prefix="mnist_examples_"))), inputs=upload,
                    outputs=[pad] + outputs, fn=partial(show_file, model), run_on_click=True, cache_examples=False,
                    label=i18n("examples.label"), elem_id="examples", examples_per_page=10, api_visibility="private")
        for first in range(1, len(PANELS), 2):  # the stages two by two, each pair a row that stacks on a phone
            with gr.Row(equal_height=False):
                for key, shown in zip(PANELS[first:first + 2], pictures[first:first + 2]):
                    with gr.Column(min_width=300):
                        panel(key, shown)
        with gr.Accordion(i18n("explain.title"), open=False):
            for key in ("explain.padding", "explain.stride", "explain.dim1"):
                gr.Markdown(i18n(key))
        api_file = gr.File(label="image", visible=False)  # the /predict endpoint's own input and output
        api_label = gr.Label(label="confidences", visible=False)

        # always_last: a stroke ended while the last one is read waits, then only the newest drawing is read
        pad.drawn(partial(show, model), pad, outputs, trigger_mode="always_last", show_progress="hidden",
                  api_visibility="private", **CNN)
        upload.upload(partial(show_file, model), upload, [pad] + outputs, api_visibility="private", **CNN)
        upload.clear(blank_outputs, None, outputs, api_visibility="private", queue=False)
        undo.click(None, js=UNDO_JS)
        clear_button.click(clear, None, [pad, upload] + outputs, js=CLEAR_JS, api_visibility="private", queue=False)
        all_ten.change(show_all, all_ten, prediction, api_visibility="private", queue=False)
        gr.on([], partial(predict, model), api_file, api_label, api_name="predict", trigger_mode="multiple",
              api_description="An image file of one digit -> the 10 class confidences (gr.Label format).", **CNN)
    return demo


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
    demo = build(model)
    # GRADIO_SERVER_NAME and GRADIO_SERVER_PORT are read by launch() itself
    demo.launch(share=args.share, prevent_thread_lock=True, **LAUNCH)
    if args.share and not demo.share_url:
        print(f"No public link: this machine cannot reach Gradio's share server; the app is still served at "
              f"{demo.local_url}")
    demo.block_thread()


if __name__ == "__main__":
    main()
