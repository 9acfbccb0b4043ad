"""How light a drawing is on a school laptop: Debian's Chromium with its CPU slowed (DevTools' CPU throttling), a slow
one-stroke digit of 60 pointer moves on the pad, against a bare canvas page under the same throttle in the same run.

For each page it prints: the time to draw the stroke (the pointer moves wait for the page's main thread), the share
of that time the main thread was blocked by long tasks, the bytes the server sent for the drawing (live readings,
pen-up and what follows, until the page is quiet), and the server's CPU for it. `--before DIR` measures another
checkout of this repository too (e.g. `git worktree add /tmp/before <commit>`), beside this one, in the same run.

Run from the repository root: `python -m bench.bench_light`.
"""
import statistics
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.common import arguments
from harness import REPO, chromium, open_app, serving

BARE = """<!doctype html><meta charset=utf-8><title>bare canvas</title>
<canvas id=pad width=280 height=280 style="border:1px solid #999;touch-action:none"></canvas><script>
const c = document.getElementById('pad'), g = c.getContext('2d'); let down = false;
g.lineWidth = 18; g.lineCap = 'round';
c.addEventListener('pointerdown', (e) => { down = true; g.beginPath(); g.moveTo(e.offsetX, e.offsetY); });
c.addEventListener('pointermove', (e) => { if (down) { g.lineTo(e.offsetX, e.offsetY); g.stroke(); } });
c.addEventListener('pointerup', () => { down = false; });
</script>"""
LONG_TASKS_JS = """() => { window.blocked = 0; new PerformanceObserver((list) => { for (const e of list.getEntries())
    window.blocked += e.duration; }).observe({type: 'longtask'}); }"""
# A 7 drawn slowly: its bar, then its stem, as one stroke of `moves` pointer moves
SEVEN = [(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]


def stroke_points(box: dict, moves: int) -> list[tuple[float, float]]:
    """The stroke's points on the pad's middle 70%, evenly spread over its two segments."""
    (x0, y0), (x1, y1), (x2, y2) = SEVEN
    half = moves // 2
    pts = [(x0 + (x1 - x0) * i / half, y0) for i in range(half)]
    pts += [(x1 + (x2 - x1) * i / (moves - half), y1 + (y2 - y1) * i / (moves - half)) for i in range(moves - half + 1)]
    return [(box["x"] + (0.15 + 0.7 * x) * box["width"], box["y"] + (0.15 + 0.7 * y) * box["height"]) for x, y in pts]


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process so far (/proc/<pid>/stat, in clock ticks of 1/100 s)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def draw_once(page, canvas: str, moves: int, interval_ms: int, settle_ms: int) -> dict:
    """One slow stroke: seconds to draw it, % of it blocked by long tasks, bytes received until quiet."""
    cdp = page.context.new_cdp_session(page)
    received = [0]
    cdp.send("Network.enable")
    cdp.on("Network.dataReceived", lambda e: received.__setitem__(0, received[0] + e.get("dataLength", 0)))
    page.evaluate(LONG_TASKS_JS)
    box = page.locator(canvas).bounding_box()
    points = stroke_points(box, moves)
    page.mouse.move(*points[0])
    start = time.perf_counter()
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*point)
        page.wait_for_timeout(interval_ms)
    page.mouse.up()
    drawn = time.perf_counter() - start
    blocked = page.evaluate("window.blocked") / 1000
    page.wait_for_timeout(settle_ms)  # the pen-up's reading and what follows it come back
    return {"seconds": drawn, "blocked": 100 * blocked / drawn, "bytes": received[0]}


def measure(browser, url: str | None, throttle: float, args, pid: int | None = None) -> dict:
    """Median figures of args.drawings strokes on one page (url None: the bare canvas)."""
    runs = []
    for _ in range(args.drawings):
        if url is None:
            page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            page.set_content(BARE)
            canvas = "#pad"
        else:
            page = open_app(browser, url, viewport={"width": 1366, "height": 768})
            canvas = "#draw canvas"
        page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        before = cpu_seconds(pid) if pid else 0.0
        run = draw_once(page, canvas, args.moves, args.interval, 0 if url is None else args.settle)
        run["cpu"] = cpu_seconds(pid) - before if pid else 0.0
        runs.append(run)
        page.context.close()
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def main() -> None:
    args = arguments(__doc__, {"throttle": (4.0, "CPU slow-down of the page (DevTools' rate)"),
                               "moves": (60, "pointer moves in the stroke"),
                               "interval": (16, "ms between two moves (a slow stroke: about a second)"),
                               "settle": (4000, "ms after the pen-up for the answers to come back"),
                               "drawings": (3, "strokes on each page (medians are printed)"),
                               "before": ("", "another checkout to measure beside this one (a directory)")})
    pages = {"this checkout": REPO}
    if args.before:
        pages["before"] = Path(args.before)
    with sync_playwright() as p:
        browser = chromium(p)
        results = {"bare canvas": measure(browser, None, args.throttle, args)}
        for name, checkout in pages.items():
            with serving("app.py", cwd=checkout) as (server, url):
                measure(browser, url, 1, argparse_once(args))  # warm-up: the first reading of a process is slower
                results[name] = measure(browser, url, args.throttle, args, server.pid)
        browser.close()
    bare = results["bare canvas"]["seconds"]
    print(f"A slow one-stroke 7 ({args.moves} moves), CPU throttled {args.throttle:g}×, medians of {args.drawings}:")
    for name, r in results.items():
        print(f"  {name:<14} stroke {r['seconds']:5.2f} s ({r['seconds'] / bare:4.1f}× the bare canvas), main thread "
              f"blocked {r['blocked']:4.0f}%, server sent {r['bytes'] / 1000:7.1f} kB, server CPU {1000 * r['cpu']:5.0f} ms")


def argparse_once(args):
    """args for one quick drawing."""
    quick = type(args)(**vars(args))
    quick.drawings = 1
    return quick


if __name__ == "__main__":
    main()
