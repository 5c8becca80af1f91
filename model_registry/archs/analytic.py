"""Analytic models whose causal support is exact geometry: the estimator's ground truth.

Each model knows :meth:`input_support`: the input window that an output box can depend on at all
(pixels with a non-zero weight), computed from the operator's definition, not by running it. A
correct CEM estimator gives non-zero effect exactly on blocks that intersect that window.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

Box = tuple[int, int, int, int]  # (y0, y1, x0, x1), end-exclusive


class Identity(nn.Module):
    """``y = x``: only the ROI's own input pixels matter."""

    scale = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone()

    def input_support(self, box: Box, in_size: tuple[int, int]) -> Box:
        return box


class BoxBlur(nn.Module):
    """Mean over a ``k`` x ``k`` window (``k`` odd, zero padding, same size)."""

    scale = 1

    def __init__(self, k: int = 5) -> None:
        super().__init__()
        if k < 1 or k % 2 == 0:
            raise ValueError("box blur size must be a positive odd number")
        self.k = k
        self.register_buffer("weight", torch.full((3, 1, k, k), 1.0 / (k * k)), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight, padding=self.k // 2, groups=3)

    def input_support(self, box: Box, in_size: tuple[int, int]) -> Box:
        r = self.k // 2
        y0, y1, x0, x1 = box
        return max(0, y0 - r), min(in_size[0], y1 + r), max(0, x0 - r), min(in_size[1], x1 + r)


class NearestUpsampler(nn.Module):
    """Nearest-neighbour upscaling by ``scale``: output pixel ``q`` copies input ``q // scale``."""

    def __init__(self, scale: int = 4) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=self.scale, mode="nearest")

    def input_support(self, box: Box, in_size: tuple[int, int]) -> Box:
        y0, y1, x0, x1 = box
        s = self.scale
        return y0 // s, (y1 - 1) // s + 1, x0 // s, (x1 - 1) // s + 1


def _cubic_weight(distance: float, a: float = -0.75) -> float:
    """Keys' cubic convolution kernel (PyTorch's ``a = -0.75``)."""
    d = abs(distance)
    if d <= 1:
        return ((a + 2) * d - (a + 3)) * d * d + 1
    if d < 2:
        return (((d - 5) * d + 8) * d - 4) * a
    return 0.0


def bicubic_taps(q: int, scale: int, size: int) -> list[int]:
    """Input indices with non-zero weight for output index ``q`` (align_corners=False, clamped)."""
    u = (q + 0.5) / scale - 0.5
    base = math.floor(u)
    taps = [base + offset for offset in (-1, 0, 1, 2) if abs(_cubic_weight(u - (base + offset))) > 1e-12]
    return sorted({min(max(tap, 0), size - 1) for tap in taps})


class BicubicUpsampler(nn.Module):
    """Bicubic upscaling by ``scale`` (PyTorch, ``align_corners=False``, border replicated)."""

    def __init__(self, scale: int = 4) -> None:
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)

    def input_support(self, box: Box, in_size: tuple[int, int]) -> Box:
        y0, y1, x0, x1 = box
        rows = [tap for q in range(y0, y1) for tap in bicubic_taps(q, self.scale, in_size[0])]
        cols = [tap for q in range(x0, x1) for tap in bicubic_taps(q, self.scale, in_size[1])]
        return min(rows), max(rows) + 1, min(cols), max(cols) + 1


ARCHITECTURES = {
    "identity": Identity,
    "box_blur": BoxBlur,
    "nearest_upsampler": NearestUpsampler,
    "bicubic_upsampler": BicubicUpsampler,
}
