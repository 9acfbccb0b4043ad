"""MNIST as uint8 tensors: from a folder of IDX files (gzipped or not), or through torchvision's download."""
import gzip
from pathlib import Path

import numpy as np
import torch

# Mean and standard deviation of MNIST training pixels in [0, 1]; every input is normalised with these.
MEAN, STD = 0.1307, 0.3081

REPO = Path(__file__).resolve().parent.parent
SHIPPED_DIR = REPO / "data" / "mnist"  # the 10k test split, shipped so that everything works offline
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (plain or .gz) into a numpy array of its stored shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (EOFError, gzip.BadGzipFile) as e:
        raise ValueError(f"{path} is truncated or damaged ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} is truncated: expected {int(np.prod(shape))} values, found {data.size}")
    return data.reshape(shape)


def find_idx(data_dir: Path, name: str) -> Path:
    """The IDX file called name in data_dir, gzipped or not."""
    for candidate in (data_dir / name, data_dir / f"{name}.gz", data_dir / "MNIST" / "raw" / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no {name} or {name}.gz in {data_dir}")


def load_mnist(split: str, data_dir: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(images uint8 (N, 28, 28), labels int64 (N,)) of the 'train' or 'test' split.

    Without data_dir, the test split comes from the repo and the train split from torchvision's download.
    """
    if data_dir is None and split == "test":
        data_dir = SHIPPED_DIR
    if data_dir is None:
        from torchvision.datasets import MNIST  # needs the internet the first time

        ds = MNIST(REPO / "data", train=split == "train", download=True)
        return ds.data.clone(), ds.targets.clone()
    image_name, label_name = FILES[split]
    images = read_idx(find_idx(Path(data_dir), image_name))
    labels = read_idx(find_idx(Path(data_dir), label_name))
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{data_dir}: {images.shape[0]} images but {labels.shape[0]} labels")
    return torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))


def standardise(x: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1] -> the network's scale, by MNIST's mean and standard deviation (any shape)."""
    return (x - MEAN) / STD


def normalise(images: torch.Tensor) -> torch.Tensor:
    """uint8 or [0, 1] float images (N, 28, 28) -> the network's input (N, 1, 28, 28)."""
    x = images.float()
    if images.dtype == torch.uint8:
        x = x / 255.0
    return standardise(x).unsqueeze(1)


def denormalise(x):
    """The network's input (any shape, tensor or array) back to ink in [0, 1]: the inverse of normalise."""
    return x * STD + MEAN
