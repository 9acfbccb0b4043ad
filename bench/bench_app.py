"""How quickly the app answers a drawing: pen-up to the new prediction and to every panel (the reading's panels and
close-ups, then the experiments that follow it: sandbox, occlusion) in headless Chromium against `python app.py`;
the server's own work per drawing (Page.drawn) and per follow-up (Page.experiments), per map pick, what-if slider
change and sandbox change; and the start-up time of app.build(model), and of the files it loads (filters' top
patches, training snapshots, misread digits, MNIST test split).

Run from the repository root: `python -m bench.bench_app`. The drawings are real pen-drawn UNIPEN digits (one stroke
each, so that the last pen-up is the only one), drawn with the mouse; they are used only for measuring.
"""
import statistics
import time

import torch
from playwright.sync_api import sync_playwright

import app
from bench.common import arguments, dev_samples, spread, timed
from harness import chromium, mouse_stroke, open_app, serving
from mnist_cnn.checkpoint import load_model
from mnist_cnn.data import load_mnist
from mnist_cnn.filter_top import load_filter_top
from mnist_cnn.mistakes import load_mistakes
from mnist_cnn.snapshots import load_loss_curve, load_snapshots
from mnist_cnn.strokes import draw_strokes
from web import render
from web.widgets import data_url

READING = ("prediction", *render.PANELS, "kernel-detail", "saliency", "softmax-steps")
# The page opens on its first step (the layers): the experiments follow a reading only where their step is open
# (bench/bench_steps.py measures each step)
FOLLOW = ()
QUIET_MS = 800  # the page counts as settled once none of those changed for this long

# Started at pen-up: records when each output last changed; resolves once all are shown and quiet, with the ms from
# pen-up to each one's last change (null: it did not change after pen-up, the live reading had already shown it).
SETTLED_JS = """([ids, quiet]) => new Promise((resolve) => {
    const penUp = performance.now(), last = {};
    const shown = () => ids.every((id) => {
        const el = document.getElementById(id), img = el && el.querySelector('img');
        return el && (id === 'prediction' ? el.querySelector('.output-class')
                      : id === 'softmax-steps' ? el.querySelector('table') : img && img.complete && img.naturalWidth);
    });
    const observer = new MutationObserver((records) => {
        const now = performance.now();
        for (const r of records) for (const id of ids) if (document.getElementById(id)?.contains(r.target)) last[id] = now;
    });
    observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    const check = () => {
        const latest = Math.max(penUp, ...Object.values(last));
        const late = performance.now() - penUp > 20000;  // given up on: counted as not shown
        if (!late && (!shown() || performance.now() - latest < quiet)) return setTimeout(check, 50);
        observer.disconnect();
        resolve(late ? null : Object.fromEntries(ids.map((id) => [id, id in last ? last[id] - penUp : null])));
    };
    setTimeout(check, 50);
})"""


def browser_latencies(url: str, drawings: list[dict]) -> tuple[dict[str, list[float]], int, int, int]:
    """ms from pen-up to the prediction, to every reading panel and to every panel (after one warm-up drawing);
    how many drawings were read right, how many had nothing left to change after pen-up, how many never settled."""
    times, right, unchanged, late = {"prediction": [], "reading": [], "all": []}, 0, 0, 0
    with sync_playwright() as p:
        browser = chromium(p)
        page = open_app(browser, url)
        page.evaluate("window.settled = null; document.addEventListener('pointerup', (e) => "
                      "{ if (e.target.closest('#draw')) window.settled = (" + SETTLED_JS + ")(window.watch); }, true)")
        page.evaluate("(w) => { window.watch = w; }", [list(READING + FOLLOW), QUIET_MS])
        for i, sample in enumerate(drawings[:1] + drawings):
            page.click("#clear")
            page.wait_for_selector("#act-output img", state="detached")
            mouse_stroke(page, sample["strokes"][0], steps=1)
            last = page.evaluate("window.settled")
            if i == 0:
                continue
            if last is None:  # not all shown within 20 s
                late += 1
                continue
            right += page.inner_text("#prediction .output-class").strip() == str(sample["label"])
            if last["prediction"] is None:
                unchanged += 1
                continue
            changed = [v for v in last.values() if v is not None]
            times["prediction"].append(last["prediction"])
            times["reading"].append(max(v for k, v in last.items() if k in READING and v is not None))
            times["all"].append(max(changed))
        browser.close()
    return times, right, unchanged, late


def server_work(demo, drawings: list[dict], repeats: int) -> dict[str, list[float]]:
    """ms of the page's handlers (Gradio's own pre- and postprocessing left out), in this process, on one thread."""
    page = demo.page
    urls = [data_url(draw_strokes(s["strokes"])) for s in drawings] * repeats
    read = [page.drawn(u, None, None, "en") for u in urls[:len(drawings)]]  # the sessions' state after each drawing
    cases = {
        "drawing (Page.drawn)": lambda i: page.drawn(urls[i], None, None, "en"),
        "follow-up (Page.experiments: sandbox, shift curve, occlusion, learning)":
            lambda i: page.experiments(read[i % len(read)]["current"], None, 1, 1, 2, 8, 1, i % 5, None, "en"),
        "map pick (conv2)": lambda i: page.pick(i % 64, read[i % len(read)]["current"], None, "en", panel="act-conv2"),
        "what-if slider": lambda i: page.what_if(read[i % len(read)]["original"], i % 5 - 2, 1, 15, 0.9, 0, None,
                                                 None, "en"),
        "sandbox change": lambda i: page.sandbox(read[i % len(read)]["current"], i % 3, 1 + i % 3, (2, 1)[i % 2],
                                                 None, "en"),
    }
    return {name: timed(fn, list(range(len(urls)))) for name, fn in cases.items()}


def start_up(model, runs: int) -> dict[str, list[float]]:
    """Seconds of app.build(model) as shipped, and of the loading it does: the filters' top patches, the training
    snapshots (with the loss curve), the misread digits, the MNIST test split (with the page left out, without
    Stale errors: a page without snapshots cannot be built yet, its learning slider would run from 0 to 0)."""
    loads = {"load_filter_top": load_filter_top, "load_mistakes": load_mistakes,
             "load_snapshots + load_loss_curve": lambda: (load_snapshots(), load_loss_curve()),
             "load_mnist('test')": lambda: load_mnist("test")}
    out = {"app.build(model)": [], **{name: [] for name in loads}}
    for _ in range(runs):
        t = time.perf_counter()
        app.build(model).close()
        out["app.build(model)"].append(time.perf_counter() - t)
        for name, load in loads.items():
            t = time.perf_counter()
            load()
            out[name].append(time.perf_counter() - t)
    return out


def main() -> None:
    args = arguments(__doc__, {"drawings": (30, "one-stroke dev digits drawn in Chromium"),
                               "repeats": (3, "passes over the drawings for the server's work"),
                               "builds": (3, "timed app.build() of each kind"), "port": (0, "the app's port (0: any)")})
    torch.set_num_threads(1)
    drawings = dev_samples(strokes=1)[:args.drawings]

    n = len(drawings)
    with serving("app.py", args.port) as (_, url):  # each part printed as soon as it is measured
        latencies, right, unchanged, late = browser_latencies(url, drawings)
    print(f"{n} one-stroke UNIPEN drawings drawn with the mouse in headless Chromium; read right: {right}/{n}; "
          f"nothing left to change at pen-up (the live reading had shown it): {unchanged}; not all shown within "
          f"20 s: {late}", flush=True)
    for name, ms in latencies.items():
        what = {"prediction": "the prediction", "reading": "prediction, every panel and close-up",
                "all": "all that and the sandbox and occlusion"}[name]
        print(f"pen-up to {what} shown: {spread(ms, digits=0)}" if ms else f"pen-up to {what}: no timings", flush=True)
    model = load_model()
    for name, s in start_up(model, args.builds).items():
        print(f"start-up, {name}: median {statistics.median(s):.2f} s (min {min(s):.2f}, n {len(s)})", flush=True)
    for name, ms in server_work(app.build(model), drawings, args.repeats).items():
        print(f"server work per {name}: {spread(ms)}")

if __name__ == "__main__":
    main()
