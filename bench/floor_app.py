"""The cheapest Gradio app with the same /predict contract as app.py: decode the image file, answer a constant label.

bench/bench_load.py measures it beside the real app; its throughput is the floor the real app is compared with.
With --cnn it answers with the CNN's real reading (app.py's preprocessing and forward pass) in the same bare app:
the most that any app doing that work can reach on this machine.
Run `python bench/floor_app.py [--cnn]`; it honours GRADIO_SERVER_NAME and GRADIO_SERVER_PORT, as app.py does.
"""
import argparse
from collections.abc import Callable

import gradio as gr
from PIL import Image

CONSTANT = {str(d): 0.1 for d in range(10)}


def predict(path: str) -> dict[str, float]:
    """An image file -> the same 10 confidences whatever it shows (the decode is the only work)."""
    with Image.open(path) as img:
        img.load()
    return CONSTANT


def build(fn: Callable) -> gr.Blocks:
    """A page with nothing but the /predict endpoint, answered by fn, without a concurrency limit."""
    with gr.Blocks() as demo:
        image = gr.File(label="image")
        label = gr.Label(label="confidences")
        gr.on([], fn, image, label, api_name="predict", concurrency_limit=None)
    return demo


def cnn_predict() -> Callable:
    """app.py's own /predict handler (Page.predict) with the shipped weights: the same reading and the same error
    sentences."""
    # imported here, so that the plain floor does not load torch
    import sys
    from pathlib import Path

    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository, for app and mnist_cnn
    from app import load_page
    from mnist_cnn.checkpoint import load_model

    torch.set_num_threads(1)  # as app.py does
    return load_page(load_model()).predict


if __name__ == "__main__":
    args = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    args.add_argument("--cnn", action="store_true", help="answer with the CNN's reading, not a constant")
    build(cnn_predict() if args.parse_args().cnn else predict).launch()
