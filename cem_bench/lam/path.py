"""LAM's progressive-blur path from a Gaussian-blurred baseline to the input.

The path is ``x(alpha) = K(sigma(alpha)) * x`` with ``sigma(alpha) = (1 - alpha) * sigma``: at
``alpha = 0`` the input blurred with ``sigma`` (the baseline), at ``alpha = 1`` the input itself.
``K(s)`` is an isotropic ``k`` x ``k`` Gaussian normalised to sum 1 (``s = 0`` is the identity
kernel), applied per channel with reflect-101 borders (OpenCV's ``filter2D`` default, which the LAM
reference uses). Everything is computed in float64 so that the increments along the path are exact
to far below float32 resolution.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from cem_bench.core.errors import CemBenchError


def gaussian_kernel(size: int, sigma: float) -> torch.Tensor:
    """Isotropic Gaussian ``[size, size]`` (float64, sums to 1); ``sigma = 0`` gives the identity kernel.

    >>> gaussian_kernel(3, 0.0).tolist()
    [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    >>> round(float(gaussian_kernel(9, 1.2).sum()), 12)
    1.0
    """
    if size < 1 or size % 2 == 0:
        raise CemBenchError(f"LAM kernel size must be a positive odd number, got {size}")
    if sigma < 0:
        raise CemBenchError(f"LAM blur sigma must be non-negative, got {sigma}")
    kernel = torch.zeros(size, size, dtype=torch.float64)
    if sigma == 0:
        kernel[size // 2, size // 2] = 1.0
        return kernel
    axis = torch.arange(size, dtype=torch.float64) - size // 2
    squared = axis[:, None] ** 2 + axis[None, :] ** 2
    kernel = torch.exp(-squared / (2.0 * sigma * sigma))
    return kernel / kernel.sum()


def filter_per_kernel(image: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Filter one image ``[C, h, w]`` with each of ``kernels`` ``[n, k, k]``: ``[n, C, h, w]``.

    One grouped convolution (each kernel applied to each channel); reflect-101 padding.
    """
    count, size = kernels.shape[0], kernels.shape[-1]
    channels, height, width = image.shape
    pad = size // 2
    if pad >= min(height, width):
        raise CemBenchError(f"LAM kernel size {size} needs an input of at least {pad + 1}x{pad + 1} pixels")
    padded = F.pad(image[None], (pad, pad, pad, pad), mode="reflect")  # reflect = OpenCV's reflect-101
    weight = kernels.to(image).repeat_interleave(channels, dim=0)[:, None]  # [n*C, 1, k, k]
    stacked = padded.expand(count, -1, -1, -1).reshape(1, count * channels, *padded.shape[-2:])
    return F.conv2d(stacked, weight, groups=count * channels).view(count, channels, height, width)


class BlurPath:
    """The progressive-blur path of one input image ``[C, h, w]`` (kept in float64)."""

    def __init__(self, image: torch.Tensor, sigma: float = 1.2, kernel_size: int = 9) -> None:
        if sigma <= 0:
            raise CemBenchError(f"LAM blur sigma must be positive, got {sigma}")
        gaussian_kernel(kernel_size, sigma)  # validates the size
        self.image = image.detach().to(torch.float64)
        self.sigma, self.kernel_size = float(sigma), int(kernel_size)

    def kernels(self, alphas: torch.Tensor) -> torch.Tensor:
        """``K(sigma(alpha))`` for each alpha: ``[n, k, k]`` float64."""
        return torch.stack([gaussian_kernel(self.kernel_size, (1.0 - float(a)) * self.sigma) for a in alphas])

    def points(self, alphas: torch.Tensor) -> torch.Tensor:
        """``x(alpha)`` for each alpha: ``[n, C, h, w]`` float64."""
        return filter_per_kernel(self.image, self.kernels(alphas))

    def increments(self, alphas: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
        """``x(alpha) - x(previous)`` per pair, as one filter with the kernel difference (linear in x)."""
        return filter_per_kernel(self.image, self.kernels(alphas) - self.kernels(previous))
