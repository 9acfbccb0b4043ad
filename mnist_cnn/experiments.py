"""Experiments on the learner's own 28×28 input with the shipped weights: the conv1 sandbox (padding, stride and the
shape chain up to fc1), moving the drawing (and how the guess follows a shift), and occlusion.

Every function is pure: it takes the model and the input, runs its own forward passes and returns plain values.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from .analysis import BLANK
from .data import denormalise
from .inputs import one_of, real, whole

SIDE = 28
PADDINGS, STRIDES, POOL_STRIDES = (0, 1, 2), (1, 2, 3), (1, 2)
MAX_SHIFT, MAX_ANGLE, SCALES, MAX_THICKNESS = 8, 45.0, (0.5, 1.5), 2
SHIFTS = range(-MAX_SHIFT, MAX_SHIFT + 1)  # 17 points of the shift curve
DIRECTIONS = ("horizontal", "vertical")
# A moved input is erased when no pixel keeps at least this share of the most ink the input had before: thinning by
# 2 px steps leaves MNIST-wide strokes a faint haze (at most 0.3 of full ink), which the network would still read,
# with confidence. Relative, since a faint drawing (a 1 px pen on a large pad) is prepared at 0.4 of full ink.
ERASED = 0.5


@torch.no_grad()
def sandbox(model: torch.nn.Module, x: torch.Tensor, padding: int, stride: int, channel: int,
            pool_stride: int = 2) -> dict:
    """conv1's trained filters run on x with another padding and stride, and the seed's shapes followed to fc1."""
    padding, stride, pool_stride = one_of(padding, PADDINGS), one_of(stride, STRIDES), one_of(pool_stride, POOL_STRIDES)
    channel = whole(channel, 0, model.conv1.out_channels - 1)
    pool = model.pool.kernel_size
    conv1 = F.relu(F.conv2d(x, model.conv1.weight, model.conv1.bias, stride=stride, padding=padding))
    pool1 = F.max_pool2d(conv1, pool, pool_stride)
    conv2 = F.relu(model.conv2(pool1))  # the seed's conv2 as it is: trained weights, padding 1
    pool2 = F.max_pool2d(conv2, pool, pool_stride)
    flat = pool2.flatten(1)
    try:
        model.fc1(flat)
        error = None
    except RuntimeError as e:  # PyTorch's own words, never rewritten
        error = str(e)
    stages = {"input": x, "conv1": conv1, "pool1": pool1, "conv2": conv2, "pool2": pool2, "flatten": flat}
    return {
        "padding": padding, "stride": stride, "pool_stride": pool_stride, "channel": channel,
        "kernel": model.conv1.kernel_size[0], "pool": pool, "side": conv1.shape[-1],
        "shapes": {k: tuple(v.shape[1:]) for k, v in stages.items()},
        "flatten": flat.shape[1], "expected": model.fc1.in_features, "fits": error is None, "error": error,
        "input": denormalise(x[0, 0]).clamp(0, 1).double().numpy(),  # ink in [0, 1]
        "map": conv1[0, channel].double().numpy(),  # after ReLU, at its true size
    }


def geometry(dx: float, dy: float, angle: float, scale: float) -> torch.Tensor:
    """affine_grid's theta (1, 2, 3) for a move by (dx, dy) px, a turn (degrees, counter-clockwise) and a scale."""
    # theta maps each output pixel to where it reads the input, in grid units about the centre
    a = math.radians(angle)
    cos, sin = math.cos(a) / scale, math.sin(a) / scale
    tx, ty = 2 * dx / SIDE, 2 * dy / SIDE  # pixels in grid units, where the image spans −1..1
    inverse = [[cos, -sin], [sin, cos]]  # the inverse of the screen's counter-clockwise turn (y points down)
    return torch.tensor([[[inverse[0][0], inverse[0][1], -(inverse[0][0] * tx + inverse[0][1] * ty)],
                          [inverse[1][0], inverse[1][1], -(inverse[1][0] * tx + inverse[1][1] * ty)]]])


@torch.no_grad()
def moved(x: torch.Tensor, dx: float = 0, dy: float = 0, angle: float = 0, scale: float = 1,
          thickness: int = 0) -> torch.Tensor:
    """The input (1, 1, 28, 28) moved, turned, scaled and its strokes thickened or thinned, without re-centring."""
    # blank paper comes in at the edges; thickness counts whole steps of 1 px on every side of a stroke
    dx, dy = real(dx, -MAX_SHIFT, MAX_SHIFT), real(dy, -MAX_SHIFT, MAX_SHIFT)
    angle, scale = real(angle, -MAX_ANGLE, MAX_ANGLE), real(scale, *SCALES)
    thickness = whole(thickness, -MAX_THICKNESS, MAX_THICKNESS)
    out = x.detach().clone()
    if (dx, dy, angle, scale) != (0, 0, 0, 1):
        ink = out - BLANK  # blank paper is 0 here, so the zeros grid_sample brings in are paper too
        grid = F.affine_grid(geometry(dx, dy, angle, scale).to(x.dtype), list(x.shape), align_corners=False)
        out = F.grid_sample(ink, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + BLANK
    for _ in range(abs(thickness)):  # each step grows or shrinks the strokes by 1 px on every side
        out = F.max_pool2d(out, 3, 1, 1) if thickness > 0 else -F.max_pool2d(-out, 3, 1, 1)
    return out


def erased(x: torch.Tensor, ink: float = 1.0, level: float = ERASED) -> bool:
    """True when a moved input (1, 1, 28, 28) holds no pixel with at least level × ink, ink (in [0, 1]) being the
    most the input had before it was moved: the experiments erased the drawing, and, as for a blank page, there is
    nothing to read."""
    return bool(denormalise(x.detach()).max() < level * ink)


def shifted(x: torch.Tensor, shifts) -> torch.Tensor:
    """x (1, 1, 28, 28) moved by each whole (dx, dy) in shifts, blank paper coming in: (len(shifts), 1, 28, 28)."""
    m = MAX_SHIFT
    padded = F.pad(x, (m, m, m, m), value=BLANK)
    return torch.cat([padded[..., m - dy:m - dy + SIDE, m - dx:m - dx + SIDE] for dx, dy in shifts])


@torch.no_grad()
def shift_curve(model: torch.nn.Module, x: torch.Tensor, digit: int) -> list[dict]:
    """The probability of digit as x moves −8 to +8 px, horizontally then vertically: 34 rows, one batched pass."""
    digit = whole(digit, 0, 9)
    rows = [(d, s) for d in DIRECTIONS for s in SHIFTS]
    batch = shifted(x, [(s, 0) if d == "horizontal" else (0, s) for d, s in rows])
    probs = model(batch).exp()[:, digit].tolist()
    return [{"shift": s, "direction": d, "probability": p, "digit": digit} for (d, s), p in zip(rows, probs)]


def tolerance(curve: list[dict], direction: str, level: float = 0.5) -> tuple[int, int] | None:
    """The widest run of shifts around 0 over which the probability stays at level or above, or None."""
    p = {r["shift"]: r["probability"] for r in curve if r["direction"] == direction}
    if p[0] < level:
        return None
    lo = hi = 0
    while lo - 1 in p and p[lo - 1] >= level:
        lo -= 1
    while hi + 1 in p and p[hi + 1] >= level:
        hi += 1
    return lo, hi


def windows(t: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, size: int) -> torch.Tensor:
    """The size×size windows (n, C, size, size) of t (C, H, W) whose top-left corners are at (rows[i], cols[i])."""
    r = rows[:, None] + torch.arange(size)
    c = cols[:, None] + torch.arange(size)
    return t[:, r[:, :, None], c[:, None, :]].transpose(0, 1).contiguous()


def band(start: torch.Tensor, length: int, size: int) -> torch.Tensor:
    """(n, size): True at j where start[i] <= j < start[i] + length."""
    j = torch.arange(size)
    return (j >= start[:, None]) & (j < start[:, None] + length)


def margin(lo: torch.Tensor, hi: torch.Tensor, size: int) -> int:
    """The padding a map of this size needs for windows that run from lo to hi (exclusive): even, for pooling."""
    m = max(-int(lo.min()), int(hi.max()) - size, 0)
    return m + m % 2


def covered_log_probs(model: torch.nn.Module, x: torch.Tensor, places: list[tuple[int, int]],
                      patch: int) -> torch.Tensor:
    """Log-probabilities (n, 10) of x with a patch×patch square of blank paper at each place, in one pass."""
    # conv1, pool1, conv2 and pool2 are worked out only where the square can change them (the seed's 3×3
    # convolutions with padding 1, 2×2 pooling); elsewhere they are x's own, from one forward pass of x
    _, acts = model(x, return_activations=True)
    side1, side2 = acts["pool1"].shape[-1], acts["pool2"].shape[-1]
    rows, cols = torch.tensor(places).T
    a, b = (rows - 1) // 2, (cols - 1) // 2  # the first pool1 row and column the square can change
    k = int(((rows + patch) // 2 - a).max()) + 1  # how many pool1 rows (and columns) it can change
    k2 = (k + 4) // 2  # and pool2 rows: conv2 changes rows a − 1 .. a + k, pool2 pairs them from 2·((a − 1) // 2)
    # conv1 → ReLU → pool1 on the input that pool1 cells a .. a + k − 1 read, with the square covered
    q = 2 * k + 3  # odd, so that every crop starts inside the padding
    crops = windows(F.pad(x[0], (q, q, q, q)), 2 * a - 1 + q, 2 * b - 1 + q, 2 * k + 2)  # zeros: conv1's padding
    square = band(rows - 2 * a + 1, patch, 2 * k + 2)[:, :, None] & band(cols - 2 * b + 1, patch, 2 * k + 2)[:, None]
    crops = torch.where(square[:, None], torch.tensor(BLANK, dtype=x.dtype), crops)
    pool1 = model.pool(F.relu(F.conv2d(crops, model.conv1.weight, model.conv1.bias)))  # (n, 32, k, k)
    valid = band(-a, side1, k)[:, :, None] & band(-b, side1, k)[:, None]  # cells inside the 14×14 map
    pool1 = pool1 * valid[:, None]  # past the map's edge: conv2's zero padding
    # conv2 on those cells and the two around them, which conv2 also reads
    m1 = margin(torch.cat([a, b]) - 2, torch.cat([a, b]) + k + 2, side1)
    around = windows(F.pad(acts["pool1"][0], (m1, m1, m1, m1)), a - 2 + m1, b - 2 + m1, k + 4)
    around[:, :, 2:2 + k, 2:2 + k] = pool1
    conv2 = F.conv2d(around, model.conv2.weight, model.conv2.bias)  # (n, 64, k + 2, k + 2): rows a − 1 .. a + k
    # → ReLU → pool2 on the conv2 rows 2e .. 2e + 2·k2 − 1 that hold them, e = (a − 1) // 2
    e, f = (a - 1) // 2, (b - 1) // 2
    m2 = margin(2 * torch.cat([e, f]), 2 * torch.cat([e, f]) + 2 * k2, 2 * side2)
    held = windows(F.pad(acts["conv2"][0], (m2, m2, m2, m2)), 2 * e + m2, 2 * f + m2, 2 * k2)
    for dr in (0, 1):
        for dc in (0, 1):
            pick = ((a - 1 - 2 * e) == dr) & ((b - 1 - 2 * f) == dc)
            held[pick, :, dr:dr + k + 2, dc:dc + k + 2] = conv2[pick]
    pool2 = model.pool(F.relu(held))  # (n, 64, k2, k2): pool2 rows e .. e + k2 − 1
    m3 = margin(torch.cat([e, f]), torch.cat([e, f]) + k2, side2)
    full = F.pad(acts["pool2"], (m3, m3, m3, m3)).expand(len(places), -1, -1, -1).clone()
    span2 = torch.arange(k2)
    full.permute(0, 2, 3, 1)[torch.arange(len(places))[:, None, None], (e + m3)[:, None, None] + span2[:, None],
                             (f + m3)[:, None, None] + span2] = pool2.permute(0, 2, 3, 1)
    flat = full[:, :, m3:m3 + side2, m3:m3 + side2].flatten(1)
    return F.log_softmax(model.fc2(F.relu(model.fc1(flat))), dim=1)


@torch.no_grad()
def occlusion(model: torch.nn.Module, x: torch.Tensor, target: int, patch: int = 6, stride: int = 2) -> dict:
    """How much target's probability drops when a patch×patch square of x is covered with blank paper."""
    # at each place (one batched pass over the places where the square covers some ink), and per pixel
    target, patch = whole(target, 0, 9), whole(patch, 2, 14)
    stride = whole(stride, 1, patch)
    starts = list(range(0, SIDE - patch + 1, stride))
    if starts[-1] != SIDE - patch:
        starts.append(SIDE - patch)  # the last row and column are covered too
    places = [(r, c) for r in starts for c in starts]
    # covering blank paper with blank paper changes nothing: those places' drop is exactly 0
    changed = torch.tensor([bool((x[0, 0, r:r + patch, c:c + patch] != BLANK).any()) for r, c in places])
    base = float(model(x).exp()[0, target])
    drops = torch.zeros(len(places), dtype=torch.float64)
    if changed.any():
        inked = [p for p, ch in zip(places, changed.tolist()) if ch]
        drops[changed] = base - covered_log_probs(model, x, inked, patch).exp()[:, target].double()
    total, count = np.zeros((SIDE, SIDE)), np.zeros((SIDE, SIDE))
    for (r, c), d in zip(places, drops.tolist()):
        total[r:r + patch, c:c + patch] += d
        count[r:r + patch, c:c + patch] += 1
    grid = drops.numpy().reshape(len(starts), len(starts))
    worst = int(drops.argmax())
    return {
        "target": target, "patch": patch, "stride": stride, "starts": starts, "probability": base,
        "drops": grid,  # (places, places): the drop with the patch's top-left corner at (starts[i], starts[j])
        "map": total / count,  # (28, 28): the mean drop over the patches that cover each pixel
        "worst": places[worst], "worst_drop": float(drops[worst]),
    }
