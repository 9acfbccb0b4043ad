"""Training augmentation: shape and range kept, reproducible from a seed, different for each image, digit kept;
each writing style draws the shape it claims."""
import random

import numpy as np
import torch

from mnist_cnn.augment import STYLES, augment, enlarge, random_stroke_width, styled, styled_digits, warp_strokes
from mnist_cnn.data import load_mnist
from mnist_cnn.preprocess import boundary_width, ink_box, prepare
from mnist_cnn.strokes import load_samples
from mnist_cnn.train import UNIPEN


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


def digits_of(digit: int, n: int = 12) -> list[np.ndarray]:
    images, labels = load_mnist("test")
    return [a.numpy() for a in images[labels == digit][:n]]


def added_ink(style: str, image: np.ndarray, seed: int) -> tuple[np.ndarray, tuple, float]:
    """(the ink a style adds at 4× scale, the digit's box, its stroke width)."""
    big = enlarge(image)
    out = STYLES[style][1](big, random.Random(seed))
    assert out.shape == big.shape == (112, 112) and (out >= big).all()  # only ink added
    return (out > 127) & ~(big > 127), ink_box(big > 127, level=0), boundary_width(big > 127)


def test_flag_starts_at_the_top_of_a_1_and_goes_down_left():
    for seed, image in enumerate(digits_of(1)):
        new, (x0, y0, x1, y1), width = added_ink("flag", image, seed)
        h = y1 - y0
        ys, xs = np.nonzero(new[:int(y0 + 0.6 * h)])  # the top part: the flag, not a foot
        assert ys.min() <= y0 + width  # it starts at the top...
        top_x = np.nonzero(enlarge(image)[y0:int(y0 + width)] > 127)[1].mean()  # the top of the stem
        tip = xs.argmin()
        assert xs[tip] < top_x - 0.1 * h and ys[tip] > ys.min() + 0.1 * h  # ...and ends down and to the left
        assert len(ys) > 0.15 * h * width  # a stroke as wide as the digit's, not a hairline


def test_crossbar_crosses_the_stem_of_a_7_near_its_middle():
    for seed, image in enumerate(digits_of(7)):
        new, (x0, y0, x1, y1), width = added_ink("crossbar", image, seed)
        h = y1 - y0
        ys, xs = np.nonzero(new)
        assert y0 + 0.35 * h < ys.mean() < y0 + 0.7 * h
        row = round(ys.mean())
        stem = np.nonzero(enlarge(image)[row] > 127)[0].mean()
        assert xs.min() < stem - width and xs.max() > stem + width  # on both sides of the stem
        assert np.ptp(xs) > 1.5 * np.ptp(ys)  # a bar across, not along


def test_slash_crosses_the_zeros_box_from_corner_to_corner():
    diagonals = set()
    for seed, image in enumerate(digits_of(0)):
        new, (x0, y0, x1, y1), width = added_ink("slash", image, seed)
        size = max(x1 - x0, y1 - y0)
        ys, xs = np.nonzero(new)
        near = lambda x, y: np.hypot(xs - x, ys - y).min() < 0.25 * size  # noqa: E731
        rising = near(x0, y1) and near(x1, y0)
        falling = near(x0, y0) and near(x1, y1)
        assert rising or falling
        assert abs(xs.mean() - (x0 + x1) / 2) < 0.2 * size and abs(ys.mean() - (y0 + y1) / 2) < 0.2 * size
        diagonals.add(rising)
    assert diagonals == {True, False}  # mostly Ø, sometimes the other way


def test_styles_are_seeded_and_prepared_as_the_app_does():
    for style, (digit, _) in STYLES.items():
        image = digits_of(digit, 1)[0]
        a, b = styled(image, style, random.Random(1)), styled(image, style, random.Random(1))
        assert a.shape == (28, 28) and a.dtype == np.uint8 and np.array_equal(a, b)
        assert not np.array_equal(a, styled(image, style, random.Random(2)))
        assert np.array_equal(a, prepare(STYLES[style][1](enlarge(image), random.Random(1))).centred28)


def test_styled_digits_take_a_share_of_each_styles_class():
    images, labels = load_mnist("test")
    x, y = styled_digits(images[:1000], labels[:1000], 0.5, random.Random(0))
    assert x.dtype == torch.uint8 and x.shape == (len(y), 28, 28)
    assert set(y.tolist()) == {0, 1, 7}
    for digit in (0, 1, 7):
        assert 0.3 < (y == digit).sum() / (labels[:1000] == digit).sum() < 0.7


def test_warped_strokes_keep_their_shape_fit_the_unit_square_and_are_seeded():
    samples = load_samples(UNIPEN)[:200]
    for i, sample in enumerate(samples):
        strokes = sample["strokes"]
        out = warp_strokes(strokes, random.Random(i))
        assert [len(s) for s in out] == [len(s) for s in strokes]  # every point kept, in its stroke
        pts, orig = np.concatenate([np.array(s) for s in out]), np.concatenate([np.array(s) for s in strokes])
        assert pts.min() >= -1e-9 and pts.max() <= 1 + 1e-9
        assert abs(np.ptp(pts, 0).max() - 1) < 1e-9  # longer side 1, centred
        assert np.allclose(pts.min(0) + pts.max(0), 1)
        if np.ptp(orig, 0).min() > 0.3:  # not a thin 1, where a turn changes the box a lot
            assert np.abs(pts - orig).max() < 0.45  # the same digit, a little turned, slanted and bent
        assert out == warp_strokes(strokes, random.Random(i))
        assert out != warp_strokes(strokes, random.Random(i + 1000))
    slants = []
    for seed in range(50):  # the slant leans the top of a vertical stroke right or left
        (top, bottom), = warp_strokes([[(0.5, 0), (0.5, 1)]], random.Random(seed), degrees=0, wobble=0)
        slants.append(top[0] - bottom[0])
    assert min(slants) < -0.1 and max(slants) > 0.1
