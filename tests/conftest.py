"""Shared fixtures: the shipped model, the pen-drawn dev set, digit-shaped pen strokes, the app launched once per
test session, and Debian's Chromium to look at it."""
import math
import os
import sys

import pytest
import torch

from harness import CHROMIUM, DEV, chromium, events, launch, open_app
from mnist_cnn.checkpoint import load_model
from mnist_cnn.strokes import load_samples

# Pen strokes in the unit square (x right, y down), shaped like the digits a person draws.
STROKES = {
    "0": [[(0.5 + 0.3 * math.sin(2 * math.pi * i / 40), 0.5 - 0.45 * math.cos(2 * math.pi * i / 40))
           for i in range(41)]],
    "1": [[(0.5, 0.05), (0.5, 0.95)]],
    "7": [[(0.15, 0.08), (0.85, 0.08), (0.4, 0.95)]],
}


@pytest.fixture(scope="session")
def model():
    return load_model()


@pytest.fixture(scope="session")
def dev_samples() -> list[dict]:
    """The dev set's samples; the test is skipped where ../shared is not beside the repo (it fails in CI)."""
    if not DEV.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{DEV} is missing: CI runs with ../shared beside the clone")
        pytest.skip(f"{DEV} is not here (it lies in ../shared beside the repo)")
    return load_samples(DEV)


@pytest.fixture(scope="session")
def digit_strokes():
    return STROKES


@pytest.fixture(scope="session")
def test_set():
    """The MNIST test split: (uint8 images, labels)."""
    from mnist_cnn.data import load_mnist

    return load_mnist("test")


@pytest.fixture(scope="session")
def drawing():
    """A drawn 7 as the network's prepared input, (1, 1, 28, 28)."""
    from mnist_cnn.preprocess import prepare
    from mnist_cnn.strokes import draw_strokes

    return prepare(draw_strokes(STROKES["7"])).tensor


@pytest.fixture(scope="session")
def page(model):
    """What the page's events run (handlers.Page), with the shipped model and the data the page shows."""
    from web.handlers import Page

    return Page.load(model)


@pytest.fixture
def cli(monkeypatch, capsys):
    """A function that runs a CLI's main() with these arguments in this process and returns what it printed."""
    def run(main, *args: str) -> str:
        monkeypatch.setattr(sys, "argv", [main.__module__, *args])
        try:
            main()
        except SystemExit as e:  # --help
            assert e.code == 0
        return capsys.readouterr().out
    return run


@pytest.fixture(scope="session")
def served(model):
    """The app's Blocks, served by this process for the whole session."""
    import app

    torch.set_num_threads(1)
    demo = launch(app.build(model))
    yield demo
    demo.close()


@pytest.fixture(scope="session")
def app_url(served):
    """The URL of the app served for the whole session."""
    return served.local_url


@pytest.fixture(scope="session")
def fn_index(app_url) -> dict:
    """fn_index of the served page's events by (element id, event name) of their first trigger."""
    return {e["on"]: e["fn_index"] for e in events(app_url)}


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module; where it is not installed, the test is skipped."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = chromium(p)
        yield b
        b.close()


@pytest.fixture
def open_page(browser, app_url):
    """A function that opens the app in a new browser context and returns the page once its pen works; its keywords
    are Playwright's context options (English and 1280×900 unless told)."""
    return lambda **options: open_app(browser, app_url, **options)
