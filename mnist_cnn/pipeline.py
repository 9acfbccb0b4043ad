"""One reading of a digit: prepare the image, run the CNN once, keep every stage's tensor. The app, API and tests use it."""
from dataclasses import dataclass

import torch

from .model import Net
from .preprocess import Prepared, prepare


@dataclass(frozen=True)
class Reading:
    """What the network made of one image."""
    prepared: Prepared
    log_probs: torch.Tensor  # (10,)
    probs: torch.Tensor  # (10,), sums to 1
    activations: dict  # stage name -> tensor without the batch dimension, e.g. "conv1": (32, 28, 28)


@torch.no_grad()
def read_digit(model: Net, source) -> Reading:
    """Prepare source (drawing, file, array...) and run it through model; InputError if it cannot be read."""
    prepared = prepare(source)
    log_probs, acts = model(prepared.tensor, return_activations=True)
    return Reading(prepared, log_probs[0], log_probs[0].exp(), {k: v[0] for k, v in acts.items()})


def confidences(reading: Reading) -> dict[str, float]:
    """The 10 class probabilities keyed by digit, as gr.Label takes them."""
    return {str(d): float(p) for d, p in enumerate(reading.probs)}
