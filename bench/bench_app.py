"""How quickly the app answers a drawing: pen-up to the new prediction and every panel on screen, in headless Chromium
against `python app.py`, and the server's own work per drawing (preprocess, forward pass, every picture, encoding).

Run from the repository root: `python -m bench.bench_app`. The drawings are real pen-drawn UNIPEN digits (one stroke
each, so that the last pen-up is the only one); they are used only for measuring.
"""
import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import torch
from playwright.sync_api import sync_playwright

import app
from gradio.state_holder import SessionState
from mnist_cnn.checkpoint import load_model
from mnist_cnn.strokes import draw_strokes, load_samples
from mnist_cnn.widgets import data_url

REPO = Path(__file__).resolve().parent.parent
UNIPEN = REPO.parent / "shared" / "data" / "unipen-digits-dev.json"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

# Resolves, in the page, when the prediction and every panel's picture are shown; ms since the pen went up.
WAIT_SHOWN = """(ids) => new Promise((resolve) => {
    const shown = () => document.querySelector('#prediction .output-class') && ids.every((id) => {
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


def free_port() -> int:
    """A TCP port that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    start = time.time()
    while time.time() - start < timeout:
        if server.poll() is not None:
            sys.exit("the app stopped before it served a page")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"the app did not answer at {url} within {timeout:.0f} s")


def browser_latencies(url: str, drawings: list[dict]) -> tuple[list[float], int]:
    """ms from pen-up to everything shown, for each drawing (after one warm-up), and how many were read right."""
    latencies, right = [], 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.wait_for_selector("#draw canvas")
        page.evaluate("document.addEventListener('pointerup', () => { window.penUp = performance.now(); }, true)")
        box = page.locator("#draw canvas").bounding_box()
        for i, sample in enumerate(drawings[:1] + drawings):
            page.click("#clear")
            page.wait_for_selector("#act-output img", state="detached")
            pts = [(box["x"] + (0.15 + 0.7 * x) * box["width"], box["y"] + (0.15 + 0.7 * y) * box["height"])
                   for x, y in sample["strokes"][0]]
            page.evaluate(f"(ids) => {{ window.shown = ({WAIT_SHOWN})(ids); }}", list(app.PANELS))
            page.mouse.move(*pts[0])
            page.mouse.down()
            for pt in pts[1:]:
                page.mouse.move(*pt)
            page.mouse.up()
            ms = page.evaluate("window.shown")
            if i > 0:
                latencies.append(ms)
                right += page.inner_text("#prediction .output-class").strip() == str(sample["label"])
        browser.close()
    return latencies, right


def server_work(drawings: list[dict], repeats: int = 3) -> list[float]:
    """ms of the server's whole handling of one drawing (Gradio's pre- and postprocessing included), in process."""
    demo = app.build(load_model())
    fn = next(f for f in demo.fns.values() if f.targets and f.targets[0][1] == "drawn")
    urls = [data_url(draw_strokes(s["strokes"])) for s in drawings]

    async def run() -> list[float]:
        state, times = SessionState(demo), []
        for url in urls * repeats:
            t = time.perf_counter()
            await demo.process_api(fn, [url], state)
            times.append(1000 * (time.perf_counter() - t))
        return times

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--drawings", type=int, default=30)
    parser.add_argument("--port", type=int, default=0, help="port for the app (0: any free one)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    drawings = single_stroke_drawings(args.drawings)

    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_until_up(url, server)
        latencies, right = browser_latencies(url, drawings)
    finally:
        server.terminate()
        server.wait(timeout=30)
    work = server_work(drawings)

    print(f"{len(latencies)} one-stroke UNIPEN drawings in headless Chromium, read right: {right}/{len(latencies)}")
    print(f"pen-up to prediction and all panels shown: p50 {statistics.median(latencies):.0f} ms, "
          f"p90 {percentile(latencies, 90):.0f} ms (goal: p50 <= 150 ms)")
    print(f"server work per drawing (preprocess, forward, pictures, encoding): p50 {statistics.median(work):.1f} ms, "
          f"p90 {percentile(work, 90):.1f} ms (goal: p50 <= 15 ms)")


if __name__ == "__main__":
    main()
