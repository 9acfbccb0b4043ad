"""The MNIST test digits the shipped model misreads, found once by the evaluation and kept in a small json beside
the weights (tied to them by their SHA-256), so that the app can show them without evaluating 10k digits at start.
"""
import argparse
import json
from pathlib import Path

import torch

from .checkpoint import WEIGHTS, load_model, load_tied, sha256
from .data import load_mnist, normalise
from .evaluate import evaluate

MISTAKES = WEIGHTS.with_name("mistakes.json")
FIX = "make it again with `python -m mnist_cnn.mistakes`"


class StaleMistakesError(ValueError):
    """The mistakes file is missing or was made with other weights; str() is one sentence with the fix."""


@torch.no_grad()
def find_mistakes(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> list[dict]:
    """The misread digits in test order: index, true label, guess and the probability the model gave its guess."""
    preds = evaluate(model, images, labels)["predictions"]
    wrong = (preds != labels).nonzero().flatten()
    probs = model(normalise(images[wrong])).exp()  # (n_wrong, 10); only these few need a second look
    return [{"index": int(i), "label": int(labels[i]), "guess": int(preds[i]),
             "confidence": round(float(p[preds[i]]), 4)} for i, p in zip(wrong, probs)]


def save_mistakes(mistakes: list[dict], weights: Path = WEIGHTS, path: Path = MISTAKES) -> None:
    """Write the mistakes with the SHA-256 of the weights that made them."""
    rows = ",\n".join("  " + json.dumps(m) for m in mistakes)  # one digit a line: short diffs when weights change
    Path(path).write_text(f'{{"weights_sha256": "{sha256(weights)}", "split": "test", "mistakes": [\n{rows}\n]}}\n')


def load_mistakes(path: Path = MISTAKES, weights: Path = WEIGHTS) -> list[dict]:
    """The saved mistakes of these weights; StaleMistakesError if the file is missing or belongs to other weights."""
    return load_tied(path, weights, StaleMistakesError, "list of misread digits", FIX)["mistakes"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--weights", type=Path, default=WEIGHTS, help="safetensors weights to evaluate")
    parser.add_argument("--data-dir", type=Path, default=None, help="folder with the IDX test files (default: shipped)")
    parser.add_argument("--out", type=Path, default=MISTAKES, help="json to write")
    args = parser.parse_args()
    images, labels = load_mnist("test", args.data_dir)
    mistakes = find_mistakes(load_model(args.weights), images, labels)
    save_mistakes(mistakes, args.weights, args.out)
    print(f"{len(mistakes)} of {len(labels)} test digits misread; written to {args.out}")


if __name__ == "__main__":
    main()
