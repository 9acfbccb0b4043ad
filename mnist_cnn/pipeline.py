"""One reading of a digit: prepare the image, run the CNN once, keep every stage's tensor.

The app, its API and the tests all read digits through here: drawings and files through `prepare`, MNIST digits
(already 28×28 and centred) as they are; after preparation both take the same path.
"""
from dataclasses import dataclass

import torch

from .data import normalise
from .model import Net
from .preprocess import Prepared, ink_box, prepare


@dataclass(frozen=True)
class Reading:
    """What the network made of one image."""
    prepared: Prepared
    log_probs: torch.Tensor  # (10,)
    probs: torch.Tensor  # (10,), sums to 1
    activations: dict  # stage name -> tensor without the batch dimension, e.g. "conv1": (32, 28, 28)


@torch.no_grad()
def activations(model: Net, x: torch.Tensor) -> dict:
    """Every stage's tensor for one input x (1, 1, 28, 28), without the batch dimension."""
    _, acts = model(x, return_activations=True)
    return {k: v[0] for k, v in acts.items()}


def read_prepared(model: Net, prepared: Prepared) -> Reading:
    """Run a prepared input through model once, keeping every stage's tensor."""
    acts = activations(model, prepared.tensor)
    return Reading(prepared, acts["log_probs"], acts["log_probs"].exp(), acts)


def read_digit(model: Net, source) -> Reading:
    """Prepare source (drawing, file, array...) and run it through model; InputError if it cannot be read."""
    return read_prepared(model, prepare(source))


def mnist_prepared(image: torch.Tensor) -> Prepared:
    """An MNIST digit (uint8 28×28) as a Prepared whose steps are trivial: MNIST already scaled it into 20×20 and
    centred it by mass, so it goes to the network as the evaluation feeds it (re-preparing it can change the guess)."""
    a = image.numpy()
    x0, y0, x1, y1 = ink_box(a, level=0)
    return Prepared(normalise(image[None]), a, (x0, y0, x1, y1), 1.0, a[y0:y1, x0:x1], a)


def read_mnist(model: Net, image: torch.Tensor) -> Reading:
    """Run an MNIST digit (uint8 28×28) through model exactly as the evaluation does."""
    return read_prepared(model, mnist_prepared(image))


def confidences(reading: Reading) -> dict[str, float]:
    """The 10 class probabilities keyed by digit, as gr.Label takes them."""
    return {str(d): float(p) for d, p in enumerate(reading.probs)}
