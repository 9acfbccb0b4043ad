"""Shared fixtures: the shipped model, digit-shaped pen strokes, and the app launched once per test session."""
import math
import socket

import pytest
import torch

from mnist_cnn.checkpoint import load_model

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
def digit_strokes():
    return STROKES


def free_port() -> int:
    """A TCP port that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def served(model):
    """The app's Blocks, served by this process for the whole session."""
    import app

    torch.set_num_threads(1)
    demo = app.build(model)
    demo.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True,
                **app.LAUNCH)
    yield demo
    demo.close()


@pytest.fixture(scope="session")
def app_url(served):
    """The URL of the app served for the whole session."""
    return served.local_url
