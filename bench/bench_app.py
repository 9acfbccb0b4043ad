"""How quickly the app answers a drawing: pen-up to the new prediction, every panel and the close-ups (filter worked
out, saliency, softmax table) on screen, in headless Chromium against `python app.py`, and the server's own work per
drawing (preprocess, forward pass, every picture and table, encoding), per click on a map and per misread digit.

Run from the repository root: `python -m bench.bench_app`. The drawings are real pen-drawn UNIPEN digits (one stroke
each, so that the last pen-up is the only one); they are used only for measuring.
"""
import argparse
import asyncio
import statistics
import time
from pathlib import Path

import torch
from playwright.sync_api import sync_playwright

import app
from gradio.events import SelectData
from gradio.state_holder import SessionState
from mnist_cnn import render
from mnist_cnn.checkpoint import load_model
from mnist_cnn.strokes import draw_strokes, load_samples
from mnist_cnn.widgets import PAD_READY_JS, data_url
from bench.serve import serving

REPO = Path(__file__).resolve().parent.parent
UNIPEN = REPO.parent / "shared" / "data" / "unipen-digits-dev.json"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

PICTURED = app.PANELS + ("kernel-detail", "saliency")  # outputs whose picture must be shown

# Resolves, in the page, when the prediction, every picture and the softmax table are shown; ms since the pen went up.
WAIT_SHOWN = """(ids) => new Promise((resolve) => {
    const shown = () => document.querySelector('#prediction .output-class')
        && document.querySelector('#softmax-steps table') && ids.every((id) => {
            const img = document.querySelector('#' + id + ' img');
            return img && img.complete && img.naturalWidth > 0;
        });
    const check = () => {
        if (!shown()) return;
        observer.disconnect();
        document.removeEventListener('load', check, true);
        requestAnimationFrame(() => resolve(performance.now() - window.penUp));  // the frame that paints them
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    document.addEventListener('load', check, true);
})"""


def single_stroke_drawings(n: int) -> list[dict]:
    """Up to n one-stroke UNIPEN digits, spread over the 10 classes."""
    by_digit = {d: [s for s in load_samples(UNIPEN) if s["label"] == d and len(s["strokes"]) == 1] for d in range(10)}
    picked = []
    for i in range(n):
        for d in range(10):
            if len(picked) < n and i < len(by_digit[d]):
                picked.append(by_digit[d][i])
    return picked


def percentile(values: list, q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def mouse_stroke(page, stroke: list, steps: int = 1) -> None:
    """Draw one stroke given in the unit square with the mouse, on the middle 70% of the pad's canvas."""
    box = page.locator("#draw canvas").bounding_box()
    at = [(box["x"] + (0.15 + 0.7 * x) * box["width"], box["y"] + (0.15 + 0.7 * y) * box["height"]) for x, y in stroke]
    page.mouse.move(*at[0])
    page.mouse.down()
    for point in at[1:]:
        page.mouse.move(*point, steps=steps)
    page.mouse.up()


def browser_latencies(url: str, drawings: list[dict]) -> tuple[list[float], int]:
    """ms from pen-up to everything shown, for each drawing (after one warm-up), and how many were read right."""
    latencies, right = [], 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.wait_for_function(PAD_READY_JS)
        page.evaluate("document.addEventListener('pointerup', () => { window.penUp = performance.now(); }, true)")
        for i, sample in enumerate(drawings[:1] + drawings):
            page.click("#clear")
            page.wait_for_selector("#act-output img", state="detached")
            page.wait_for_selector("#softmax-steps table", state="detached")
            page.evaluate(f"(ids) => {{ window.shown = ({WAIT_SHOWN})(ids); }}", list(PICTURED))
            mouse_stroke(page, sample["strokes"][0])
            ms = page.evaluate("window.shown")
            if i > 0:
                latencies.append(ms)
                right += page.inner_text("#prediction .output-class").strip() == str(sample["label"])
        browser.close()
    return latencies, right


def handler(demo, elem_id: str, event: str):
    """The function the app runs when the element with this id fires event."""
    return next(f for f in demo.fns.values() for block_id, name in f.targets
                if name == event and getattr(demo.blocks.get(block_id), "elem_id", None) == elem_id)


def selected(index) -> SelectData:
    """The event data of a click: a map's pixel [x, y] or a gallery's picture number."""
    return SelectData(None, {"index": index, "value": None})


def server_work(drawings: list[dict], repeats: int = 3) -> dict[str, list[float]]:
    """ms of the server's whole handling (Gradio's pre- and postprocessing included), in process: of one drawing,
    of a click on a conv2 map (its filter worked out on that drawing), and of a click on a misread test digit."""
    demo = app.build(load_model())
    drawn = handler(demo, "draw", "drawn")
    on_map = handler(demo, "act-conv2", "select")
    on_mistake = handler(demo, "mistakes", "select")
    urls = [data_url(draw_strokes(s["strokes"])) for s in drawings]
    ox, oy = render.GRIDS["act-conv2"].origin(5)  # inside the map of channel 5

    async def run() -> dict[str, list[float]]:
        state, times = SessionState(demo), {"drawing": [], "map click": [], "misread digit": []}
        for i, url in enumerate(urls * repeats):
            t = time.perf_counter()
            await demo.process_api(drawn, [url, None], state)
            times["drawing"].append(1000 * (time.perf_counter() - t))
            t = time.perf_counter()
            await demo.process_api(on_map, [None], state, event_data=selected([ox + 9, oy + 9]))
            times["map click"].append(1000 * (time.perf_counter() - t))
            t = time.perf_counter()
            await demo.process_api(on_mistake, [None], state, event_data=selected(i % 10))
            times["misread digit"].append(1000 * (time.perf_counter() - t))
        return times

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--drawings", type=int, default=30)
    parser.add_argument("--port", type=int, default=0, help="port for the app (0: any free one)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    drawings = single_stroke_drawings(args.drawings)

    with serving("app.py", args.port) as (_, url):
        latencies, right = browser_latencies(url, drawings)
    work = server_work(drawings)

    print(f"{len(latencies)} one-stroke UNIPEN drawings in headless Chromium, read right: {right}/{len(latencies)}")
    print(f"pen-up to prediction, all panels and close-ups shown: p50 {statistics.median(latencies):.0f} ms, "
          f"p90 {percentile(latencies, 90):.0f} ms (goal: p50 <= 150 ms)")
    for name, ms in work.items():
        goal = " (goal: p50 <= 15 ms)" if name == "drawing" else ""
        print(f"server work per {name} (everything it shows, encoded): p50 {statistics.median(ms):.1f} ms, "
              f"p90 {percentile(ms, 90):.1f} ms{goal}")


if __name__ == "__main__":
    main()
