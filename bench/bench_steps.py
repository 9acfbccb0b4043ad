"""What the lesson's steps save per drawing: the server's work and the bytes of the outputs it sends, for a pen-up
and the experiments after it, with one step open (as the page is now) against every step's panels (as the page was
when it showed them all at once); and a live reading (pen still down) now against one that filled every panel.

Run from the repository root: `python -m bench.bench_steps`. In this process, one thread, Gradio's own pre- and
postprocessing left out; the drawings are real pen-drawn UNIPEN dev digits, used only for measuring.
"""
import json
import statistics
import time

import torch
from tqdm import tqdm

from bench.common import arguments, dev_samples
from mnist_cnn.checkpoint import load_model
from mnist_cnn.pipeline import read_digit
from mnist_cnn.strokes import draw_strokes
from web.handlers import Page, Pen
from web.registry import STEPS
from web.widgets import data_url

CONTROLS = (None, 1, 1, 2, 8, 1, 0)  # chosen, the sandbox's padding, stride and pool stride, the batch, the moment


def size(out: dict) -> int:
    """Bytes of a handler's outputs as JSON (what Gradio sends, less its envelope); plots' frames as text."""
    return len(json.dumps({k: v for k, v in out.items() if k not in ("current", "original", "network")},
                          default=str).encode())


def measure(fn, urls: list[str]) -> tuple[float, float]:
    """(median ms, median bytes) of fn(url) over the drawings."""
    ms, sizes = [], []
    for url in urls:
        start = time.perf_counter()
        out = fn(url)
        ms.append(1000 * (time.perf_counter() - start))
        sizes.append(size(out))
    return statistics.median(ms), statistics.median(sizes)


def main() -> None:
    args = arguments(__doc__, {"drawings": (30, "one-stroke dev digits")})
    torch.set_num_threads(1)
    page = Page.load(load_model())
    urls = [data_url(draw_strokes(s["strokes"])) for s in dev_samples(strokes=1)[:args.drawings]]

    def drawing(step):
        def run(url):
            read = page.drawn(url, None, None, "en", step)
            return {**read, **page.experiments(read["current"], *CONTROLS, None, "en", step)}
        return run
    measure(drawing(None), urls[:2])  # warm-up
    rows = {"every step (before)": measure(drawing(None), urls)}
    for step in tqdm(STEPS, desc="steps"):
        rows[f"step {step.id} open"] = measure(drawing(step.id), urls)
    print(f"A pen-up and the experiments after it, {len(urls)} drawings (medians):")
    base_ms, base_bytes = rows["every step (before)"]
    for name, (ms, n) in rows.items():
        print(f"  {name:<24} {ms:7.1f} ms  {n / 1000:7.1f} kB   ({ms / base_ms:.2f}× the time, "
              f"{n / base_bytes:.2f}× the bytes)")
    live_now = measure(lambda u: page.sketch(1, u, None, None, Pen(), "en", "model"), urls)
    live_all = measure(lambda u: page.view(read_digit(page.model, u), None, None, "en", None), urls)
    print(f"A live reading (pen still down), model step open: {live_now[0]:.1f} ms, {live_now[1] / 1000:.1f} kB; "
          f"one filling every panel, as before: {live_all[0]:.1f} ms, {live_all[1] / 1000:.1f} kB "
          f"({live_all[1] / live_now[1]:.0f}× the bytes)")


if __name__ == "__main__":
    main()
