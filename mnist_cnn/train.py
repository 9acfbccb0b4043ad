"""Train the seed CNN on MNIST with drawing-like augmentation and write weights/mnist_cnn.safetensors (+ .json)."""
import argparse
import contextlib
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import checkpoint
from .augment import augment
from .data import MEAN, STD, load_mnist
from .evaluate import evaluate
from .model import Net, count_parameters
from .preprocess import InputError, prepare


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
        yield (x - MEAN) / STD, labels[idx]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder with the MNIST IDX files, gzipped or not; without it, torchvision downloads MNIST")
    parser.add_argument("--epochs", type=int, default=15, help="passes over the training digits")
    parser.add_argument("--batch-size", type=int, default=128, help="digits per optimiser step")
    parser.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW weight decay")
    parser.add_argument("--label-smoothing", type=float, default=0.05, help="cross-entropy label smoothing")
    parser.add_argument("--no-augment", action="store_true", help="train on the plain MNIST digits")
    parser.add_argument("--drawn-fraction", type=float, default=0.5,
                        help="share of training digits first passed through the app's preprocessing")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights, shuffling, augmentation")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (the shipped weights were trained with 1; other counts round "
                             "differently)")
    parser.add_argument("--limit", type=int, default=0, help="train on the first N digits only (0: all)")
    parser.add_argument("--out", type=Path, default=checkpoint.WEIGHTS, help="weights to write; the .json goes beside")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(args.seed)
    train_x, train_y = load_mnist("train", args.data_dir)
    test_x, test_y = load_mnist("test", args.data_dir)
    if args.limit:
        train_x, train_y = train_x[:args.limit], train_y[:args.limit]

    start, history = time.time(), []
    drawn = as_drawn(train_x) if args.drawn_fraction > 0 else None

    model = Net()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = args.epochs * ((len(train_x) + args.batch_size - 1) // args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps)
    print(f"{count_parameters(model):,} parameters, {len(train_x):,} training digits, {args.epochs} epochs")

    for epoch in range(1, args.epochs + 1):
        bar = tqdm(batches(train_x, train_y, args.batch_size, g, not args.no_augment,
                           drawn, args.drawn_fraction),
                   total=(len(train_x) + args.batch_size - 1) // args.batch_size, desc=f"epoch {epoch}")
        t0 = time.time()
        for i, (x, y) in enumerate(bar, 1):
            loss = train_step(model, opt, x, y, args.label_smoothing)
            sched.step()
            if i % 20 == 0:
                bar.set_postfix(loss=f"{loss:.3f}", img_s=f"{i * args.batch_size / (time.time() - t0):.0f}")
        result = evaluate(model, test_x, test_y)
        history.append(round(result["accuracy"], 4))
        print(f"epoch {epoch}: test accuracy {100 * result['accuracy']:.2f}%  ({time.time() - start:.0f} s)")

    checkpoint.save(model, args.out, {
        "test_accuracy": round(result["accuracy"], 4),
        "per_class_accuracy": result["per_class_accuracy"],
        "confusion": result["confusion"],
        "accuracy_per_epoch": history,
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "epochs": args.epochs,
        "wall_time_s": round(time.time() - start, 1),
        "torch_version": torch.__version__,
    })
    print(f"wrote {args.out} and {checkpoint.metadata_path(args.out)}")


if __name__ == "__main__":
    main()
