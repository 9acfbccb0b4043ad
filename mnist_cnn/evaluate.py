"""Accuracy, per-class accuracy and confusion matrix of a model: on the MNIST test split, or on pen strokes
drawn on the app's canvas and read through the app's own preprocessing, with the writing-style probes.
"""
import argparse
import random
from pathlib import Path

import torch

from .augment import STYLES, styled_digits
from .checkpoint import WEIGHTS, load_model
from .data import load_mnist, normalise
from .errors import InputError
from .preprocess import prepare
from .strokes import load_samples, random_drawing


@torch.no_grad()
def predictions(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Predicted class of each uint8 image (N, 28, 28)."""
    model.eval()
    return torch.cat([model(normalise(images[i:i + batch_size])).argmax(1)
                      for i in range(0, len(images), batch_size)])


def score(labels: torch.Tensor, preds: torch.Tensor) -> dict:
    """Accuracy, per-class accuracy and the 10x10 confusion matrix (rows: true digit, columns: prediction).

    A prediction of -1 (read as blank) counts as wrong and has no column in the matrix.
    """
    read = preds >= 0
    confusion = torch.zeros(10, 10, dtype=torch.long)
    confusion.index_put_((labels[read], preds[read]), torch.ones_like(labels[read]), accumulate=True)
    per_class = confusion.diag().float() / torch.bincount(labels, minlength=10).clamp(min=1).float()
    return {
        "accuracy": (preds == labels).float().mean().item(),
        "per_class_accuracy": [round(a, 4) for a in per_class.tolist()],
        "confusion": confusion.tolist(),
        "blank": int((~read).sum()),
        "predictions": preds,
    }


@torch.no_grad()
def evaluate(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> dict:
    """Score a model on uint8 MNIST images (N, 28, 28)."""
    return score(labels, predictions(model, images))


@torch.no_grad()
def evaluate_strokes(model: torch.nn.Module, samples: list[dict], seed: int = 0) -> dict:
    """Draw each sample as a person would (seeded brush, size, place), prepare it as the app does, and score it."""
    model.eval()
    rng = random.Random(seed)
    preds = []
    for sample in samples:
        try:
            preds.append(model(prepare(random_drawing(sample["strokes"], rng)).tensor).argmax(1).item())
        except InputError:
            preds.append(-1)
    return score(torch.tensor([s["label"] for s in samples]), torch.tensor(preds))


@torch.no_grad()
def evaluate_writers(model: torch.nn.Module, samples: list[dict], seeds: tuple = (0, 1, 2), cap: int = 50) -> dict:
    """Held-out writers' samples drawn with each seed: {"accuracy": mean over seeds of every drawing,
    "capped": the same with each writer weighing at most `cap` samples (a few writers gave hundreds),
    "per_seed": [accuracy, ...]}."""
    counts: dict = {}
    for s in samples:
        counts[s["writer"]] = counts.get(s["writer"], 0) + 1
    weight = torch.tensor([min(1.0, cap / counts[s["writer"]]) for s in samples])
    per_seed, capped = [], []
    for seed in seeds:
        right = (evaluate_strokes(model, samples, seed)["predictions"] == torch.tensor([s["label"] for s in samples]))
        per_seed.append(right.float().mean().item())
        capped.append((right.float() * weight).sum().item() / weight.sum().item())
    return {"accuracy": sum(per_seed) / len(seeds), "capped": sum(capped) / len(seeds), "per_seed": per_seed}


@torch.no_grad()
def evaluate_styles(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, seed: int = 0) -> dict:
    """Accuracy per writing style of STYLES on held-out (test) digits of its class, each written in that style
    (seeded) and read through the app's preprocessing: {"flag": 0.99, ...}."""
    x, y = styled_digits(images, labels, 1.0, random.Random(seed))
    right = predictions(model, x) == y
    return {style: right[y == digit].float().mean().item() for style, (digit, _) in STYLES.items()}


def format_report(result: dict, title: str) -> str:
    """A plain-text report: overall and per-class accuracy, and the confusion matrix."""
    lines = [f"{title}: accuracy {100 * result['accuracy']:.2f}%"
             + (f" ({result['blank']} read as blank)" if result["blank"] else ""),
             "per class: " + "  ".join(f"{d}:{100 * a:.1f}%" for d, a in enumerate(result["per_class_accuracy"])),
             "confusion (rows: true digit, columns: predicted)",
             "      " + " ".join(f"{d:>5}" for d in range(10))]
    lines += [f"{t:>5} " + " ".join(f"{n:>5}" for n in row) for t, row in enumerate(result["confusion"])]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--weights", type=Path, default=WEIGHTS, help="safetensors weights to evaluate")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder with the IDX test files; without it, the shipped test split")
    parser.add_argument("--strokes", type=Path, default=None,
                        help="a strokes json (e.g. ../shared/data/unipen-digits-dev.json): draw each digit on the "
                             "app's canvas and read it through the app's preprocessing, instead of MNIST")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the brush, size and place of each drawing, and of the writing styles")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = load_model(args.weights)
    if args.strokes:
        samples = load_samples(args.strokes)
        title = f"{args.strokes.name} ({len(samples)} drawings)"
        print(format_report(evaluate_strokes(model, samples, args.seed), title))
        images, labels = load_mnist("test", args.data_dir)
        styles = evaluate_styles(model, images, labels, args.seed)
        print(f"writing styles (MNIST test digits given the style, read as drawn; seed {args.seed}): "
              + "  ".join(f"{s} ({STYLES[s][0]}s): {100 * a:.1f}%" for s, a in styles.items()))
    else:
        images, labels = load_mnist("test", args.data_dir)
        print(format_report(evaluate(model, images, labels), f"MNIST test ({len(labels)} digits)"))


if __name__ == "__main__":
    main()
