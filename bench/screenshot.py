"""Save a screenshot of the app with a drawn digit to docs/screenshot.png, for the README.

Run from the repository root: `python -m bench.screenshot` (starts `python app.py`, draws a 2 in headless Chromium,
then clicks one map of conv2 so that the close-up beside the maps shows that filter worked out). With `--step dim1`
it opens that step instead and answers its question (`--step dim1 --lang es-ES --out docs/screenshot-dim1.png`).
"""

from playwright.sync_api import expect, sync_playwright

from bench.common import arguments
from harness import REPO, chromium, mouse_stroke, open_app, open_step, serving

# A "2" in the unit square (x right, y down): the arc, the diagonal, the base.
TWO = [(0.2, 0.3), (0.28, 0.14), (0.42, 0.05), (0.6, 0.05), (0.75, 0.14), (0.8, 0.3), (0.74, 0.46), (0.55, 0.63),
       (0.32, 0.8), (0.15, 0.95), (0.5, 0.95), (0.88, 0.95)]


def main() -> None:
    args = arguments(__doc__, {"out": (REPO / "docs" / "screenshot.png", "where the screenshot goes"),
                               "lang": ("en-US", "the browser's language", "en-US", "es-ES"),
                               "port": (0, "port for the app (0: any free one)"),
                               "step": ("model", "the step to show"),
                               "conv2_filter": (20, "the conv2 map to click on the layers' step (-1: none)"),
                               "width": (1366, "the window's width"), "height": (900, "the window's height")})
    with serving("app.py", args.port) as (_, url), sync_playwright() as p:
        browser = chromium(p)
        page = open_app(browser, url, locale=args.lang, viewport={"width": args.width, "height": args.height})
        mouse_stroke(page, TWO, steps=6)
        expect(page.locator("#act-output img")).to_have_count(1, timeout=15_000)
        if args.step != "model":
            open_step(page, args.step)
            page.locator(f"#question-{args.step} button >> visible=true").first.click()
            expect(page.locator(f"#question-{args.step} .qn-said")).to_have_count(1)
        elif args.conv2_filter >= 0:
            page.locator(f"#act-conv2 button[data-index='{args.conv2_filter}']").click()
            expect(page.locator("#kernel-detail .pic > div >> visible=true")).to_contain_text(
                f"{args.conv2_filter}:")
        page.evaluate("window.scrollTo(0, 0)")  # the tabs, the pad and the close-up beside the maps
        page.wait_for_timeout(1000)  # let the last pictures paint
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out))
        print(f"read as {page.inner_text('#prediction .output-class').strip()}; wrote {args.out}")
        browser.close()


if __name__ == "__main__":
    main()
