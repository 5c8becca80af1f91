"""LAM's target: summed per-channel forward-difference gradient magnitude in the window."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cem_bench.core.errors import CemBenchError
from cem_bench.core.geometry import ROI
from cem_bench.lam.target import check_window, gradient_magnitude_target


def naive_target(image: np.ndarray, window: ROI) -> float:
    total = 0.0
    for channel in image:
        for i in range(window.y, window.y + window.size):
            for j in range(window.x, window.x + window.size):
                dy = channel[i, j] - channel[i + 1, j]
                dx = channel[i, j] - channel[i, j + 1]
                total += np.sqrt(dy * dy + dx * dx)
    return total


def test_target_matches_a_pixel_by_pixel_sum():
    output = torch.rand(2, 3, 12, 10, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    window = ROI(3, 4, 5)
    values = gradient_magnitude_target(output, window)
    assert values.shape == (2,)
    for sample, value in zip(output.numpy(), values.tolist()):
        assert value == pytest.approx(naive_target(sample, window), rel=1e-12)


def test_flat_output_has_zero_not_nan_gradient():
    output = torch.full((1, 3, 8, 8), 0.5, requires_grad=True)
    value = gradient_magnitude_target(output, ROI(1, 1, 4))
    (gradient,) = torch.autograd.grad(value.sum(), output)
    assert float(value.detach()) == 0.0 and torch.equal(gradient, torch.zeros_like(gradient))


def test_window_needs_one_pixel_right_and_below():
    check_window(ROI(4, 4, 11), 16, 16)
    for window in (ROI(5, 4, 11), ROI(4, 5, 11)):
        with pytest.raises(CemBenchError, match="not inside the 16x16 output"):
            check_window(window, 16, 16)
