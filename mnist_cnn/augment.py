"""Random distortions that make MNIST digits look like hand drawings: rotation, shift, scale, shear and stroke width.
Each image in a batch gets its own random parameters, and everything runs on whole batches, which is cheap on a CPU.
"""
import math

import torch
import torch.nn.functional as F


def random_warp(x: torch.Tensor, g: torch.Generator, degrees: float = 12.0, scale: tuple = (0.85, 1.1),
                shift: float = 2.0, shear: float = 0.2) -> torch.Tensor:
    """Rotate, scale, shear and shift each image (N, 1, 28, 28) by its own random amount."""
    n = x.shape[0]
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(n, generator=g)  # noqa: E731
    angle = u(-degrees, degrees) * math.pi / 180
    sx = u(*scale)
    sy = sx * u(0.9, 1.1)  # people draw digits a little wider or narrower than MNIST's
    sh = u(-shear, shear)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # affine_grid maps output to input coordinates, so the inverse of scaling is a division
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = cos / sx
    theta[:, 0, 1] = (-sin + sh * cos) / sx
    theta[:, 1, 0] = sin / sy
    theta[:, 1, 1] = (cos + sh * sin) / sy
    theta[:, :, 2] = torch.stack([u(-shift, shift), u(-shift, shift)], 1) * (2 / 28)  # px -> grid units
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_stroke_width(x: torch.Tensor, g: torch.Generator, p: float = 0.5) -> torch.Tensor:
    """Thicken or thin the strokes of a random part of the batch by up to one pixel on each side."""
    n = x.shape[0]
    thick = F.max_pool2d(x, 3, stride=1, padding=1)
    thin = -F.max_pool2d(-x, 3, stride=1, padding=1)
    amount = torch.rand(n, 1, 1, 1, generator=g)  # fractional, so widths vary smoothly
    choice = torch.rand(n, 1, 1, 1, generator=g)
    out = torch.where(choice < p / 2, x + amount * (thick - x), x)
    return torch.where((choice >= p / 2) & (choice < p), x + amount * (thin - x), out)


def augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """The training distortions, for a batch (N, 1, 28, 28) of images in [0, 1]."""
    return random_stroke_width(random_warp(x, g), g).clamp(0, 1)
