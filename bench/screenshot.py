"""Save a screenshot of the app with a drawn digit to docs/screenshot.png, for the README.

Run from the repository root: `python -m bench.screenshot` (starts `python app.py`, draws a 2 in headless Chromium,
then clicks one map of conv2 so that "Look closer" shows that filter worked out).
"""
import argparse
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from bench.bench_app import ARGS, CHROMIUM, REPO, mouse_stroke
from bench.serve import serving
from mnist_cnn.render import GRIDS
from mnist_cnn.widgets import PAD_READY_JS

# A "2" in the unit square (x right, y down): the arc, the diagonal, the base.
TWO = [(0.2, 0.3), (0.28, 0.14), (0.42, 0.05), (0.6, 0.05), (0.75, 0.14), (0.8, 0.3), (0.74, 0.46), (0.55, 0.63),
       (0.32, 0.8), (0.15, 0.95), (0.5, 0.95), (0.88, 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    parser.add_argument("--lang", choices=["en-US", "es-ES"], default="en-US", help="the browser's language")
    parser.add_argument("--port", type=int, default=0, help="port for the app (0: any free one)")
    parser.add_argument("--conv2-filter", type=int, default=20, help="the conv2 map to click (-1: none)")
    args = parser.parse_args()
    with serving("app.py", args.port) as (_, url), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale=args.lang, viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.wait_for_function(PAD_READY_JS)
        mouse_stroke(page, TWO, steps=6)
        expect(page.locator("#act-output img")).to_have_count(1, timeout=15_000)
        if args.conv2_filter >= 0:
            maps = page.locator("#act-conv2 img")
            scale = maps.bounding_box()["width"] / maps.evaluate("(i) => i.naturalWidth")
            x, y = GRIDS["act-conv2"].origin(args.conv2_filter)
            maps.click(position={"x": (x + 10) * scale, "y": (y + 10) * scale})
            expect(page.locator("#kernel-detail .l-en")).to_contain_text(f"filter {args.conv2_filter}:")
        page.wait_for_timeout(500)  # let the last pictures paint
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out), full_page=True)
        print(f"read as {page.inner_text('#prediction .output-class').strip()}; wrote {args.out}")
        browser.close()


if __name__ == "__main__":
    main()
