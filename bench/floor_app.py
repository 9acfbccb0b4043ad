"""The cheapest Gradio app with the same /predict contract as app.py: decode the image file, answer a constant label.

bench/bench_load.py measures it beside the real app; its throughput is the floor the real app is compared with.
Run `python bench/floor_app.py`; it honours GRADIO_SERVER_NAME and GRADIO_SERVER_PORT, as app.py does.
"""
import gradio as gr
from PIL import Image

CONSTANT = {str(d): 0.1 for d in range(10)}


def predict(path: str) -> dict[str, float]:
    """An image file -> the same 10 confidences whatever it shows (the decode is the only work)."""
    with Image.open(path) as img:
        img.load()
    return CONSTANT


with gr.Blocks() as demo:
    image = gr.File(label="image")
    label = gr.Label(label="confidences")
    gr.on([], predict, image, label, api_name="predict", concurrency_limit=None)

if __name__ == "__main__":
    demo.launch()
