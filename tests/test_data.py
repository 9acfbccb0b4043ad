"""MNIST loading: IDX files plain, gzipped or in torchvision's layout, the shipped test split, and normalisation."""
import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from mnist_cnn.data import MEAN, STD, load_mnist, normalise, read_idx

TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def idx_bytes(a: np.ndarray) -> bytes:
    """An unsigned-byte IDX file: magic 0 0 8 ndim, each dimension as a big-endian int32, then the bytes."""
    header = bytes([0, 0, 8, a.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in a.shape)
    return header + a.astype(np.uint8).tobytes()


def write_idx(path: Path, a: np.ndarray, gz: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(idx_bytes(a)))
    else:
        path.write_bytes(idx_bytes(a))
    return path


def tiny_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def write_split(folder: Path, split: str, n: int, gz: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    prefix = "train" if split == "train" else "t10k"
    images, labels = tiny_split(n, seed)
    write_idx(folder / f"{prefix}-images-idx3-ubyte", images, gz)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels, gz)
    return images, labels


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
def test_read_idx(tmp_path, gz):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    got = read_idx(write_idx(tmp_path / "a-idx3-ubyte", a, gz))
    assert got.shape == (2, 3, 4) and got.dtype == np.uint8
    assert np.array_equal(got, a)


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzipped"])
@pytest.mark.parametrize("split", ["train", "test"])
def test_load_mnist_from_data_dir(tmp_path, gz, split):
    images, labels = write_split(tmp_path, split, 7, gz)
    x, y = load_mnist(split, data_dir=tmp_path)
    assert x.dtype == torch.uint8 and x.shape == (7, 28, 28)
    assert y.dtype == torch.int64 and y.shape == (7,)
    assert np.array_equal(x.numpy(), images) and np.array_equal(y.numpy(), labels)


def test_load_mnist_torchvision_layout(tmp_path):
    images, labels = write_split(tmp_path / "MNIST" / "raw", "train", 5, gz=False)
    x, y = load_mnist("train", data_dir=str(tmp_path))  # a str works as well as a Path
    assert np.array_equal(x.numpy(), images) and np.array_equal(y.numpy(), labels)


def test_truncated_idx(tmp_path):
    images, _ = tiny_split(4, 0)
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(idx_bytes(images)[:-100])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)


def test_truncated_gzip(tmp_path):
    images, _ = tiny_split(4, 0)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(images))[:-40])
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz"):
        read_idx(path)


def test_not_an_idx_file(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(ValueError, match="not an unsigned-byte IDX file"):
        read_idx(path)


def test_missing_and_mismatched_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        load_mnist("test", data_dir=tmp_path)
    images, _ = tiny_split(5, 0)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images, gz=False)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(4, np.uint8), gz=False)
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        load_mnist("test", data_dir=tmp_path)


def test_shipped_test_split():
    x, y = load_mnist("test")  # offline, from data/mnist in the repo
    assert x.shape == (10_000, 28, 28) and x.dtype == torch.uint8
    assert torch.bincount(y, minlength=10).tolist() == TEST_LABEL_COUNTS
    # MNIST digits: white ink on black, centred, with the 4 px border nearly empty
    assert x[:, 0, :].float().mean() < 1 and x[:, 10:18, 10:18].float().mean() > 50


def test_normalise_uses_mean_and_std():
    images = torch.tensor([[[0, 255], [51, 102]]], dtype=torch.uint8).expand(2, 2, 2)
    x = normalise(images)
    assert x.shape == (2, 1, 2, 2) and x.dtype == torch.float32
    expected = (torch.tensor([[0, 1], [0.2, 0.4]]) - MEAN) / STD
    assert torch.allclose(x[1, 0], expected, atol=1e-6)
    assert torch.allclose(normalise(images.float() / 255), x)  # [0, 1] floats give the same input


def test_mean_and_std_match_mnist():
    x, _ = load_mnist("test")
    pixels = x.float() / 255
    # the constants are the training split's statistics; the test split's differ by less than 0.005
    assert abs(pixels.mean().item() - MEAN) < 0.005
    assert abs(pixels.std().item() - STD) < 0.005
    assert abs(normalise(x).mean().item()) < 0.02
