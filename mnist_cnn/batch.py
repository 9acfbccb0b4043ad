"""The seed's dim=1 lesson on a real batch: the learner's drawing and MNIST test digits through the network in one
forward pass, the logits [N, 10] normalised along dim=1 (each image over its classes) and along dim=0 (each class over
the images), with the sums, the drawing's answer, F.nll_loss under each, and the shapes with the batch.
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .data import denormalise, normalise
from .errors import InputError
from .experiments import sandbox
from .inputs import one_of, whole
from .model import Net

MAX_BATCH = 64  # the seed's batch_size, and the table's most rows
DIMS = (0, 1)
DEFAULT_SIZE, DEFAULT_DIM = 8, 1
# The stages whose shapes the page shows with the batch, in the order the data flows (keys of Net's activations)
SHAPE_STAGES = ("input", "conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "logits")
MISFIT_PADDING = 0  # the sandbox's padding whose flatten does not fit fc1: its PyTorch error shows the batch's rows


@dataclass(frozen=True)
class Batch:
    """One batch through the network: row 0 is the learner's drawing, rows 1.. the first MNIST test digits."""
    size: int  # N
    dim: int  # the normalisation picked: 1 (the seed's) or 0
    inputs: torch.Tensor  # (N, 1, 28, 28), normalised as the network takes them
    ink: torch.Tensor  # (N, 28, 28) uint8, white ink on black as the network sees it: the rows' pictures
    labels: torch.Tensor  # (N,) int64: MNIST's labels; row 0's is the drawing's dim=1 answer (it has no label)
    logits: torch.Tensor  # (N, 10): fc2's output, before log_softmax
    probs: dict  # dim -> (N, 10): softmax(logits, dim)
    row_sums: dict  # dim -> (N,): each image's 10 probabilities summed
    column_sums: dict  # dim -> (10,): each class summed over the N images
    answers: dict  # dim -> the drawing's answer (argmax of row 0) under that normalisation
    losses: dict  # dim -> F.nll_loss(log_softmax(logits, dim), labels), the mean over the batch
    shapes: tuple  # ((stage, shape with the batch), ...) in SHAPE_STAGES' order
    rows: int  # what view(-1, 7 * 7 * 64)'s -1 becomes: N
    width: int  # the numbers per image fc1 takes: 7 * 7 * 64 = 3136
    misfit: int  # the flatten's width with padding MISFIT_PADDING, which fc1 refuses
    error_one: str  # PyTorch's words for that flatten in a batch of one (the sandbox's error)
    error_batch: str  # and in this batch of N

    @property
    def chosen(self) -> torch.Tensor:
        """The probabilities under the normalisation picked, (N, 10)."""
        return self.probs[self.dim]


def size_of(value: object) -> int:
    """A batch size from a visitor: a whole number in 1..MAX_BATCH; InputError otherwise."""
    try:
        return whole(value, 1, MAX_BATCH)
    except ValueError:
        raise InputError("error.batch_size", limit=MAX_BATCH) from None


def dim_of(value: object) -> int:
    """A normalisation dimension from a visitor: 0 or 1 (an int, a whole float, or the text "0" or "1");
    InputError otherwise."""
    if isinstance(value, str) and value in ("0", "1"):  # a radio's value may come as its text
        value = int(value)
    try:
        return one_of(value, DIMS)
    except ValueError:
        raise InputError("error.batch_dim") from None


def fc1_error(model: Net, rows: int, width: int) -> str:
    """PyTorch's own words when fc1 gets rows images of width numbers each (never rewritten)."""
    try:
        model.fc1(torch.zeros(rows, width))
    except RuntimeError as e:
        return str(e)
    raise ValueError(f"fc1 takes {width} numbers: there is no error to show")


@torch.no_grad()
def run_batch(model: Net, drawing: torch.Tensor, images: torch.Tensor, labels: torch.Tensor,
              size: object = DEFAULT_SIZE, dim: object = DEFAULT_DIM) -> Batch:
    """The drawing (1, 1, 28, 28, prepared) as row 0 of a batch of size, the rest the first size − 1 MNIST test
    digits of images (uint8 (M, 28, 28)) with their labels, run through model in one forward pass."""
    size, dim = size_of(size), dim_of(dim)
    if tuple(drawing.shape) != (1, 1, 28, 28):
        raise ValueError(f"the drawing must be (1, 1, 28, 28), not {tuple(drawing.shape)}")
    if len(images) < size - 1 or len(labels) < size - 1:
        raise ValueError(f"{len(images)} test digits cannot fill a batch of {size}")
    digits = images[:size - 1]  # the same digits every time, so a batch of 8 is the first 8 rows of one of 64
    x = torch.cat([drawing.float(), normalise(digits)])
    _, acts = model(x, return_activations=True)  # ONE forward pass of the whole batch
    logits = acts["logits"]  # (N, 10)
    probs = {d: F.softmax(logits, dim=d) for d in DIMS}
    guess = int(probs[1][0].argmax())
    target = torch.cat([torch.tensor([guess]), labels[:size - 1].long()])  # the drawing has no label: its answer
    stages = {"input": x, **acts}
    width = model.fc1.in_features
    misfit = sandbox(model, drawing, MISFIT_PADDING, 1, 0)
    ink = torch.cat([(denormalise(drawing[0]).clamp(0, 1) * 255).round().to(torch.uint8), digits])
    return Batch(
        size=size, dim=dim, inputs=x, ink=ink, labels=target, logits=logits, probs=probs,
        row_sums={d: p.sum(1) for d, p in probs.items()}, column_sums={d: p.sum(0) for d, p in probs.items()},
        answers={d: int(p[0].argmax()) for d, p in probs.items()},
        losses={d: float(F.nll_loss(F.log_softmax(logits, dim=d), target)) for d in DIMS},
        shapes=tuple((k, tuple(stages[k].shape)) for k in SHAPE_STAGES),
        rows=acts["pool2"].view(-1, width).shape[0], width=width,  # the seed's own view(-1, 7 * 7 * 64)
        misfit=misfit["flatten"], error_one=misfit["error"], error_batch=fc1_error(model, size, misfit["flatten"]),
    )
