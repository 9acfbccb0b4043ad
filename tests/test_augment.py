"""Training augmentation: shape and range kept, reproducible from a seed, different for each image, digit kept."""
import torch

from mnist_cnn.augment import augment, random_stroke_width
from mnist_cnn.data import load_mnist


def digits(n: int = 16) -> torch.Tensor:
    images, _ = load_mnist("test")
    return images[:n].unsqueeze(1).float() / 255  # (n, 1, 28, 28) in [0, 1]


def centre_of_mass(x: torch.Tensor) -> torch.Tensor:
    """(N, 2) row and column of each image's centre of mass, in px."""
    m = x[:, 0]
    idx = torch.arange(28, dtype=torch.float32)
    total = m.sum((1, 2))
    return torch.stack([(m.sum(2) * idx).sum(1) / total, (m.sum(1) * idx).sum(1) / total], 1)


def test_shape_and_range_kept():
    x = digits()
    y = augment(x, torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.dtype == torch.float32
    assert y.min() >= 0 and y.max() <= 1
    assert not torch.allclose(x, y)


def test_deterministic_for_a_seeded_generator():
    x = digits()
    a = augment(x, torch.Generator().manual_seed(3))
    b = augment(x, torch.Generator().manual_seed(3))
    c = augment(x, torch.Generator().manual_seed(4))
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_each_image_gets_its_own_distortion():
    x = digits(1).expand(12, 1, 28, 28).contiguous()
    y = augment(x, torch.Generator().manual_seed(0))
    flat = y.flatten(1)
    distances = torch.cdist(flat, flat) + torch.eye(12) * 1e9
    assert distances.min() > 0.1


def test_digit_stays_recognisable_in_place():
    x = digits(64)
    y = augment(x, torch.Generator().manual_seed(0))
    # small shifts, rotations, scalings and wobbles: the centre of mass moves only a few px
    assert (centre_of_mass(y) - centre_of_mass(x)).abs().max() < 4.5
    ratio = y.sum((1, 2, 3)) / x.sum((1, 2, 3))
    assert 0.7 < ratio.median() < 1.4 and ratio.max() < 2.5
    assert (y[:, :, :2].sum() + y[:, :, -2:].sum()) < 0.05 * y.sum()  # digits are not pushed off the edge


def test_stroke_width_thickens_or_thins_each_image():
    x = digits(64)
    assert torch.equal(random_stroke_width(x, torch.Generator().manual_seed(0), p=0), x)
    y = random_stroke_width(x, torch.Generator().manual_seed(0), p=1)
    thicker = (y >= x - 1e-6).flatten(1).all(1)
    thinner = (y <= x + 1e-6).flatten(1).all(1)
    assert (thicker | thinner).all()
    assert thicker.sum() > 10 and thinner.sum() > 10
    assert (y.sum((1, 2, 3))[thicker & ~thinner] > x.sum((1, 2, 3))[thicker & ~thinner]).all()
