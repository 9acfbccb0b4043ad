"""Train the seed CNN on MNIST, writing styles and pen-drawn UNIPEN digits with drawing-like augmentation; write
weights/mnist_cnn.safetensors (+ .json) and snapshots of the run (weights/snapshots.safetensors + .json).
"""
import argparse
import collections
import contextlib
import random
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import checkpoint, snapshots
from .augment import augment, styled_digits, warp_strokes
from .data import REPO, load_mnist, standardise
from .errors import InputError
from .evaluate import evaluate, evaluate_styles, evaluate_writers
from .model import Net, count_parameters
from .preprocess import prepare
from .strokes import load_samples, random_drawing

UNIPEN = REPO / "data" / "unipen" / "unipen-digits-train.json.gz"  # the training writers only, never the dev file


def train_step(model: Net, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor,
               label_smoothing: float = 0.0) -> float:
    """One optimiser step on a normalised batch; returns the loss before the step."""
    model.train()
    # The model returns log-probabilities; log_softmax of them changes nothing, so cross_entropy applies as is.
    loss = F.cross_entropy(model(x), y, label_smoothing=label_smoothing)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


def as_drawn(images: torch.Tensor) -> torch.Tensor:
    """Each uint8 digit (N, 28, 28) passed through the app's preprocessing, so that training also sees its output."""
    out = images.clone()
    for i, image in enumerate(tqdm(images.numpy(), desc="preparing digits as the app does", leave=False)):
        with contextlib.suppress(InputError):  # a digit too faint to find stays as it is
            out[i] = torch.from_numpy(prepare(image).centred28)
    return out


def writer_copies(samples: list[dict], per_writer: int, most: int) -> list[int]:
    """How many times to draw each sample so that each writer is drawn about per_writer times in all: a few writers
    gave hundreds of samples, most a few dozen; each sample is drawn at least once and at most `most` times."""
    counts = collections.Counter(s["writer"] for s in samples)
    return [min(most, max(1, round(per_writer / counts[s["writer"]]))) for s in samples]


def drawn_samples(samples: list[dict], copies: list[int], rng: random.Random,
                  warp: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Each pen-drawn sample drawn copies[i] times on the app's canvas (random brush, size, place) and prepared as
    the app does: (uint8 (N, 28, 28), labels (N,)); with warp, its strokes are first turned, slanted, stretched and
    bent as another writer's might be (augment.warp_strokes)."""
    images, labels = [], []
    rounds = [s for r in range(max(copies)) for s, k in zip(samples, copies) if k > r]  # every sample, then again
    for sample in tqdm(rounds, desc="drawing pen strokes as the app would", leave=False):
        strokes = warp_strokes(sample["strokes"], rng) if warp else sample["strokes"]
        with contextlib.suppress(InputError):
            images.append(torch.from_numpy(prepare(random_drawing(strokes, rng)).centred28))
            labels.append(sample["label"])
    return torch.stack(images), torch.tensor(labels)


def split_writers(samples: list[dict], holdout: int, seed: int) -> tuple[list[dict], list[dict]]:
    """(training samples, samples of `holdout` writers picked at random) for validation while tuning."""
    writers = sorted({s["writer"] for s in samples})
    held = set(random.Random(seed).sample(writers, holdout))
    return [s for s in samples if s["writer"] not in held], [s for s in samples if s["writer"] in held]


def batches(images: torch.Tensor, labels: torch.Tensor, batch_size: int, g: torch.Generator, augmented: bool,
            drawn: torch.Tensor | None = None, drawn_fraction: float = 0.0):
    """Shuffled (x, y) batches, x normalised (B, 1, 28, 28), augmented if asked; a drawn_fraction of them taken
    from drawn (the same digits as the app would prepare them)."""
    order = torch.randperm(len(images), generator=g)
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        x = images[idx]
        if drawn is not None:
            x = torch.where(torch.rand(len(idx), 1, 1, generator=g) < drawn_fraction, drawn[idx], x)
        x = x.unsqueeze(1).float() / 255.0
        if augmented:
            x = augment(x, g)
        yield standardise(x), labels[idx]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder with the MNIST IDX files, gzipped or not; without it, torchvision downloads MNIST")
    parser.add_argument("--unipen", type=Path, default=UNIPEN, help="pen strokes of the training writers to learn from")
    parser.add_argument("--unipen-copies", type=int, default=4, help="drawings of each pen-drawn sample (0: none)")
    parser.add_argument("--writer-drawings", type=int, default=0,
                        help="instead: draw each writer's samples about this many times in all (0: off)")
    parser.add_argument("--max-copies", type=int, default=12,
                        help="with --writer-drawings, the most drawings of one sample")
    parser.add_argument("--warp-strokes", action=argparse.BooleanOptionalAction, default=True,
                        help="turn, slant, stretch and bend each pen-drawn sample's strokes before drawing it")
    parser.add_argument("--holdout-writers", type=int, default=0,
                        help="pen-drawn writers kept out of training and scored at the end, for tuning")
    parser.add_argument("--style-share", type=float, default=0.5,
                        help="share of MNIST 0s, 1s and 7s added again written slashed, flagged or crossed")
    parser.add_argument("--epochs", type=int, default=15, help="passes over the training digits")
    parser.add_argument("--batch-size", type=int, default=128, help="digits per optimiser step")
    parser.add_argument("--optimizer", choices=("sgd", "adamw"), default="sgd",
                        help="SGD with Nesterov momentum 0.9, or AdamW (try --lr 3e-3 --weight-decay 1e-4)")
    parser.add_argument("--lr", type=float, default=0.1, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--weight-decay", type=float, default=5e-4, help="the optimiser's weight decay")
    parser.add_argument("--label-smoothing", type=float, default=0.05, help="cross-entropy label smoothing")
    parser.add_argument("--no-augment", action="store_true", help="train on the plain MNIST digits")
    parser.add_argument("--drawn-fraction", type=float, default=0.3,
                        help="share of MNIST digits first passed through the app's preprocessing")
    parser.add_argument("--seed", type=int, default=1, help="seed of the initial weights, shuffling, augmentation")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (the shipped weights were trained with 1; other counts round "
                             "differently)")
    parser.add_argument("--limit", type=int, default=0,
                        help="train on the first N MNIST digits and N pen-drawn samples only (0: all)")
    parser.add_argument("--out", type=Path, default=checkpoint.WEIGHTS,
                        help="weights to write; the .json and the snapshots go beside")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    g, rng = torch.Generator().manual_seed(args.seed), random.Random(args.seed)
    train_x, train_y = load_mnist("train", args.data_dir)
    test_x, test_y = load_mnist("test", args.data_dir)
    samples = load_samples(args.unipen) if args.unipen_copies else []
    if args.limit:
        train_x, train_y, samples = train_x[:args.limit], train_y[:args.limit], samples[:args.limit]
    samples, held = split_writers(samples, args.holdout_writers, args.seed)

    start, history = time.time(), []
    drawn = as_drawn(train_x) if args.drawn_fraction > 0 else None
    extra = [styled_digits(train_x, train_y, args.style_share, rng)]
    if samples:
        copies = writer_copies(samples, args.writer_drawings, args.max_copies) if args.writer_drawings else \
            [args.unipen_copies] * len(samples)
        extra.append(drawn_samples(samples, copies, rng, args.warp_strokes))
    n_mnist = len(train_x)
    # The styled and pen-drawn digits are already what the app makes: their "drawn" version is themselves
    train_x, train_y = torch.cat([train_x] + [x for x, _ in extra]), torch.cat([train_y] + [y for _, y in extra])
    if drawn is not None:
        drawn = torch.cat([drawn] + [x for x, _ in extra])

    model = Net()
    if args.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                              weight_decay=args.weight_decay)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    per_epoch = (len(train_x) + args.batch_size - 1) // args.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * per_epoch)
    print(f"{count_parameters(model):,} parameters, {len(train_x):,} training digits ({len(extra[0][0]):,} styled, "
          f"{len(train_x) - n_mnist - len(extra[0][0]):,} pen-drawn), {args.epochs} epochs")

    kept, losses, curve = {}, [], []  # kept: {step: (record, weights)} for the snapshots

    def keep(step: int, label: str, accuracy: float) -> None:
        record = {"step": step, "epoch": round(step / per_epoch, 4), "label": label,
                  "test_accuracy": round(accuracy, 4)}
        kept[step] = (record, snapshots.state_copy(model))

    step = 0
    keep(0, "random start", evaluate(model, test_x, test_y)["accuracy"])
    for epoch in range(1, args.epochs + 1):
        bar = tqdm(batches(train_x, train_y, args.batch_size, g, not args.no_augment, drawn, args.drawn_fraction),
                   total=per_epoch, desc=f"epoch {epoch}")
        t0 = time.time()
        for i, (x, y) in enumerate(bar, 1):
            losses.append(train_step(model, opt, x, y, args.label_smoothing))
            sched.step()
            step += 1
            if step % snapshots.LOSS_EVERY == 0:
                curve.append((step, sum(losses[-snapshots.LOSS_EVERY:]) / snapshots.LOSS_EVERY))
                bar.set_postfix(loss=f"{curve[-1][1]:.3f}", img_s=f"{i * args.batch_size / (time.time() - t0):.0f}")
            if step in snapshots.STEPS:
                keep(step, f"{step} steps", evaluate(model, test_x, test_y)["accuracy"])
        result = evaluate(model, test_x, test_y)
        history.append(round(result["accuracy"], 4))
        if snapshots.keeps_epoch(epoch, args.epochs):
            keep(step, f"epoch {epoch}", result["accuracy"])
        print(f"epoch {epoch}: test accuracy {100 * result['accuracy']:.2f}%  ({time.time() - start:.0f} s)")

    metadata = {
        "test_accuracy": round(result["accuracy"], 4),
        "per_class_accuracy": result["per_class_accuracy"],
        "confusion": result["confusion"],
        "accuracy_per_epoch": history,
        "training_digits": {"mnist": n_mnist, "styled": len(extra[0][0]),
                            "pen_drawn": len(train_x) - n_mnist - len(extra[0][0])},
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "epochs": args.epochs,
        "wall_time_s": round(time.time() - start, 1),
        "torch_version": torch.__version__,
    }
    if held:  # for tuning: the held-out writers drawn with seeds 0-2, and the style probes (MNIST test digits)
        val = evaluate_writers(model, held)
        styles = evaluate_styles(model, test_x, test_y)
        metadata["holdout_writers_accuracy"] = round(val["accuracy"], 4)
        metadata["holdout_writers_capped_accuracy"] = round(val["capped"], 4)
        metadata["style_probes"] = {k: round(v, 4) for k, v in styles.items()}
        print(f"held-out writers ({len(held)} samples, {len({s['writer'] for s in held})} writers, drawing seeds "
              f"0-2): {100 * val['accuracy']:.2f}% (" + " / ".join(f"{100 * a:.2f}" for a in val["per_seed"])
              + f"); each writer capped at 50 samples: {100 * val['capped']:.2f}%")
        print("style probes (seed 0): " + "  ".join(f"{k} {100 * v:.1f}%" for k, v in styles.items()))
    checkpoint.save(model, args.out, metadata)
    snapshots.save_snapshots(kept, curve, args.out, snapshots.snapshots_path(args.out))
    print(f"wrote {args.out}, {checkpoint.metadata_path(args.out)} and {len(kept)} snapshots")


if __name__ == "__main__":
    main()
