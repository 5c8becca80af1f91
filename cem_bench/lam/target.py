"""LAM's target: the summed gradient magnitude of the output inside a window.

For output ``y`` ``[B, C, H, W]`` and a window with top-left ``(x, y)`` and side ``size`` (output
pixels), the target is

    T(y) = sum over c and window pixels (i, j) of sqrt((y[c,i,j] - y[c,i+1,j])^2 + (y[c,i,j] - y[c,i,j+1])^2)

forward differences, per colour channel, as in the LAM reference. A window pixel's differences use the
pixel below and to the right, so the window must end one pixel before the output's last row/column.
Where both differences are 0 the square root has no derivative; we use 0 there (the reference lets
the gradient become NaN and then zeroes NaN input gradients, which also wipes out every input pixel
that NaN reached).
"""

from __future__ import annotations

import torch

from cem_bench.core.errors import CemBenchError
from cem_bench.core.geometry import ROI


def check_window(window: ROI, height: int, width: int) -> None:
    """The window's forward differences need output pixels up to ``(x + size, y + size)``."""
    if window.x + window.size >= width or window.y + window.size >= height:
        raise CemBenchError(
            f"LAM window x={window.x}, y={window.y}, size={window.size} is not inside the {width}x{height} output "
            f"(its gradients use one more pixel right and below: x+size and y+size must be < {width} and < {height})"
        )


def safe_sqrt(values: torch.Tensor) -> torch.Tensor:
    """``sqrt`` with derivative 0 (not inf/NaN) where the argument is 0.

    >>> x = torch.tensor([0.0, 4.0], requires_grad=True)
    >>> safe_sqrt(x).sum().backward(); x.grad.tolist()
    [0.0, 0.25]
    """
    positive = values > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, values, torch.ones_like(values))), torch.zeros_like(values))


def gradient_magnitude_target(output: torch.Tensor, window: ROI) -> torch.Tensor:
    """Per-sample target ``[B]``: summed per-channel gradient magnitude of ``output`` in ``window``.

    >>> out = torch.zeros(1, 1, 4, 4); out[..., 2:, :] = 1.0  # a horizontal edge between rows 1 and 2
    >>> gradient_magnitude_target(out, ROI(0, 0, 2)).tolist()
    [2.0]
    """
    x, y, size = window.x, window.y, window.size
    patch = output[:, :, y : y + size + 1, x : x + size + 1]
    centre = patch[:, :, :size, :size]
    down = centre - patch[:, :, 1:, :size]
    right = centre - patch[:, :, :size, 1:]
    return safe_sqrt(down * down + right * right).sum(dim=(1, 2, 3))
