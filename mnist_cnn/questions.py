"""A question before each of the seed's four steps, whose right answer is computed from the live network and the
learner's own drawing (never written down): conv1's side with padding=0, what fc1 gets, pooling with stride 1, and
what sums to 1 under dim=1 on a real batch.
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .batch import DEFAULT_SIZE, run_batch
from .errors import InputError
from .inputs import whole
from .model import Net

# The question of each seed step (its id is the step's) and the choices it offers, in the order shown. Numbers are
# sizes; dim1's are what may sum to 1. The right one is found by running the network, then looked up here.
CHOICES = {
    "model": (128, 784, 3136, 6272),  # fc1's output, the input (28 × 28), the flatten, pool1 (32 × 14 × 14)
    "padding": (25, 26, 28, 30),
    "stride": (13, 14, 27, 28),
    "dim1": ("row", "column", "table"),
}
QUESTIONS = tuple(CHOICES)  # the seed's steps, in its order
PADDING = 0  # the padding the "padding" question asks about
POOL_STRIDE = 1  # the pooling stride the "stride" question asks about
BATCH = DEFAULT_SIZE  # the batch the "dim1" question is checked on: the panel's first
TOLERANCE = 1e-5  # a sum counts as 1 within this


@dataclass(frozen=True)
class Answer:
    """A learner's choice checked: which was picked, which is right, and the live numbers that say why."""
    question: str
    choice: int  # index into CHOICES[question]
    right: int  # index of the right choice
    values: dict  # the numbers the explanation is filled in with, from this network and this drawing

    @property
    def correct(self) -> bool:
        """Whether the choice is the right one."""
        return self.choice == self.right


def question_of(value: object) -> str:
    """A question's id from a visitor: one of QUESTIONS; InputError otherwise."""
    if not isinstance(value, str) or value not in CHOICES:
        raise InputError("error.question")
    return value


def choice_of(question: str, value: object) -> int:
    """A choice's index from a visitor: a whole number among the question's choices; InputError otherwise."""
    n = len(CHOICES[question])
    try:
        return whole(value, 0, n - 1)
    except ValueError:
        raise InputError("error.choice", n=n) from None


@torch.no_grad()
def fc1_inputs(model: Net, x: torch.Tensor, *_) -> tuple[int, dict]:
    """How many numbers fc1 gets for x: the flatten of pool2, from the model's own forward pass."""
    _, acts = model(x, return_activations=True)
    c, h, w = acts["pool2"].shape[1:]
    return acts["flatten"].shape[1], {"c": c, "h": h, "w": w}


@torch.no_grad()
def unpadded_side(model: Net, x: torch.Tensor, *_) -> tuple[int, dict]:
    """The side of conv1's maps of x with padding PADDING: conv1's own filters run by nn.functional.conv2d."""
    out = F.conv2d(x, model.conv1.weight, model.conv1.bias, stride=model.conv1.stride, padding=PADDING)
    k, s = model.conv1.kernel_size[0], model.conv1.stride[0]
    return out.shape[-1], {"n": x.shape[-1], "p": PADDING, "k": k, "s": s, "channels": out.shape[1]}


@torch.no_grad()
def pooled_side(model: Net, x: torch.Tensor, *_) -> tuple[int, dict]:
    """The side of pool1's maps of x if its window moved POOL_STRIDE pixels, beside the seed's own."""
    conv = F.relu(model.conv1(x))
    k = model.pool.kernel_size
    side = F.max_pool2d(conv, k, POOL_STRIDE).shape[-1]
    return side, {"n": conv.shape[-1], "k": k, "s": POOL_STRIDE, "seed": model.pool(conv).shape[-1],
                  "seed_stride": model.pool.stride}


def summed(model: Net, x: torch.Tensor, images: torch.Tensor, labels: torch.Tensor) -> tuple[str, dict]:
    """What sums to 1 under the network's dim=1, checked on a batch of BATCH with x in row 0."""
    batch = run_batch(model, x, images, labels, BATCH, 1)
    rows = bool(((batch.row_sums[1] - 1).abs() < TOLERANCE).all())
    columns = bool(((batch.column_sums[1] - 1).abs() < TOLERANCE).all())
    total = abs(float(batch.probs[1].sum()) - 1) < TOLERANCE
    found = "row" if rows and not columns else "column" if columns and not rows else "table" if total else None
    digit = batch.answers[1]
    return found, {"n": BATCH, "row": float(batch.row_sums[1][0]), "digit": digit,
                   "column": float(batch.column_sums[1][digit])}


RIGHT = {"model": fc1_inputs, "padding": unpadded_side, "stride": pooled_side, "dim1": summed}


def check(model: Net, drawing: torch.Tensor | None, question: object, choice: object, images: torch.Tensor,
          labels: torch.Tensor) -> Answer:
    """A learner's choice for a question, checked against the answer the network gives on their drawing (prepared,
    (1, 1, 28, 28)); images and labels are the MNIST test digits for the batch. InputError for an unknown question,
    a choice that is not one of its indices, or no drawing yet."""
    question = question_of(question)
    choice = choice_of(question, choice)
    if drawing is None:
        raise InputError("error.blank")
    value, values = RIGHT[question](model, drawing, images, labels)
    if value not in CHOICES[question]:  # the seed's architecture always answers among its choices
        raise ValueError(f"{question}: the network answers {value!r}, which is not among {CHOICES[question]}")
    return Answer(question, choice, CHOICES[question].index(value), {"answer": value, **values})
