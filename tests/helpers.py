"""Test helpers shared by several test modules."""

from __future__ import annotations

import time

import numpy as np
import torch

from cem_bench import CEMEstimator, Protocol, load_bank
from cem_bench.cem.acceleration import Acceleration
from cem_bench.core.geometry import ROI, BlockGrid

ACCELERATIONS = {"accel": Acceleration(), "plain": Acceleration.off()}


def run_cem(model, task, gt: np.ndarray, roi: ROI, batch_size: int | None = None,
            acceleration: Acceleration | str = "accel", checkpoint=None, **protocol):
    """Score ``model`` on ``gt`` with a small protocol (defaults: 3 coarse, 4 fine, tol 0)."""
    settings = {"coarse": 3, "fine": 4, "tol": 0.0, **protocol}
    degraded = task.degrade(task.prepare_gt(gt), settings.get("seed", 0))
    if isinstance(acceleration, str):
        acceleration = ACCELERATIONS[acceleration]
    estimator = CEMEstimator(model, task, load_bank(settings.pop("bank", "skimage-8")), Protocol(**settings),
                             batch_size=batch_size, progress=False, acceleration=acceleration,
                             checkpoint=checkpoint)
    return estimator.run(degraded, roi)


def reachable_blocks(model, grid: BlockGrid, roi: ROI, in_size: tuple[int, int]) -> np.ndarray:
    """Blocks whose input pixels intersect the analytic model's input support of the ROI."""
    y0, y1, x0, x1 = model.input_support((roi.y, roi.y + roi.size, roi.x, roi.x + roi.size), in_size)
    reach = np.zeros((grid.rows, grid.cols), dtype=bool)
    bi = grid.in_block
    for row in range(grid.rows):
        for col in range(grid.cols):
            by0, by1 = row * bi, min((row + 1) * bi, in_size[0])
            bx0, bx1 = col * bi, min((col + 1) * bi, in_size[1])
            reach[row, col] = by0 < y1 and y0 < by1 and bx0 < x1 and x0 < bx1
    return reach


class NaNModel(torch.nn.Module):
    """A broken same-size model: its output is all NaN (for the refusal tests)."""

    def forward(self, x):
        return x * float("nan")


def nan_model() -> torch.nn.Module:
    return NaNModel()


class SlowModel(torch.nn.Module):
    """A model that sleeps before each forward, so that a run can be killed half-way."""

    def __init__(self, inner: torch.nn.Module, seconds: float) -> None:
        super().__init__()
        self.inner, self.seconds = inner, seconds

    def forward(self, x):
        time.sleep(self.seconds)
        return self.inner(x)


class NeedsLargeInput(torch.nn.Module):
    """A same-size network with a global branch max-pooled over ``min_side`` pixels: it raises on a smaller
    input, as RFDN's attention does on small crops (for the forward-failure tests)."""

    def __init__(self, min_side: int = 40) -> None:
        super().__init__()
        self.min_side = min_side
        # The identity as a fixed (buffer) kernel: a weightless card may hold nothing learnable.
        kernel = torch.zeros(3, 3, 3, 3)
        for channel in range(3):
            kernel[channel, channel, 1, 1] = 1.0
        self.register_buffer("kernel", kernel)

    def forward(self, x):
        same = torch.nn.functional.conv2d(x, self.kernel, padding=1)
        return same + 0 * torch.nn.functional.max_pool2d(x, self.min_side).mean()
