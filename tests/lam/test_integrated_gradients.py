"""Integrated gradients along the blur path: completeness as steps grow, batch independence, refusals."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
from torch import nn

from cem_bench.core.errors import ModelOutputError
from cem_bench.core.geometry import ROI
from cem_bench.core.images import to_tensor
from cem_bench.lam.integrated_gradients import integrated_gradients
from cem_bench.lam.path import BlurPath
from cem_bench.lam.target import gradient_magnitude_target
from model_registry.archs.analytic import BicubicUpsampler

WINDOW = ROI(24, 24, 8)


class TinySR(nn.Module):
    """A seeded random conv SR net (x2), so batching goes through real float32 convolutions."""

    scale = 2

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 12, 3, padding=1),
                                  nn.PixelShuffle(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def integrate(model, lr: np.ndarray, steps: int, batch_size: int = 16):
    path = BlurPath(to_tensor(lr), sigma=1.2, kernel_size=9)
    size = (lr.shape[0] * model.scale, lr.shape[1] * model.scale)
    return integrated_gradients(model.eval(), path, partial(gradient_magnitude_target, window=WINDOW), steps, size,
                                batch_size)


@pytest.fixture(scope="module")
def lr(astronaut64) -> np.ndarray:
    return astronaut64[::2, ::2].copy()  # 32x32 input, 64x64 output


def test_riemann_sum_converges_to_the_target_difference(lr):
    gaps = [abs(integrate(BicubicUpsampler(2), lr, steps).completeness_gap) for steps in (5, 20, 80)]
    change = integrate(BicubicUpsampler(2), lr, 80)
    total = change.targets[-1] - change.targets[0]
    assert total > 0.1  # the blurred baseline has visibly less texture in the window
    # A right Riemann sum errs by O(1/n): each 4x more steps must at least halve the gap.
    assert gaps[1] < gaps[0] / 2 and gaps[2] < gaps[1] / 2
    assert gaps[2] < 0.01 * total


def test_targets_run_from_baseline_to_input(lr):
    model = BicubicUpsampler(2)
    result = integrate(model, lr, 4)
    with torch.no_grad():
        direct = gradient_magnitude_target(model(to_tensor(lr)[None]), WINDOW)
    assert result.forwards == 5 and result.targets.shape == (5,)
    assert result.targets[-1] == pytest.approx(float(direct), rel=1e-6)


def test_batching_does_not_change_the_attribution(lr):
    model = TinySR()
    runs = {batch: integrate(model, lr, 50, batch).attribution for batch in (1, 7, 50)}
    scale = np.abs(runs[1]).max()
    assert scale > 0
    # Products are summed in float64 in step order whatever the batch; only the model's float32
    # convolutions may pick a different reduction order for another batch size (seen: ~1e-7 relative).
    for batch in (7, 50):
        np.testing.assert_allclose(runs[batch], runs[1], rtol=0, atol=1e-6 * scale)


def test_reruns_are_bitwise_identical(lr):
    first, second = (integrate(TinySR(), lr, 10, 4) for _ in range(2))
    assert np.array_equal(first.attribution, second.attribution) and np.array_equal(first.targets, second.targets)


class NaNSR(nn.Module):
    scale = 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return BicubicUpsampler(2)(x) * float("nan")


def test_nan_output_is_refused(lr):
    with pytest.raises(ModelOutputError, match="NaN"):
        integrate(NaNSR(), lr, 3)


class ClaimsX2(nn.Module):
    scale = 2  # but upscales x4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return BicubicUpsampler(4)(x)


def test_wrong_output_size_is_refused(lr):
    with pytest.raises(ModelOutputError, match="wrong scale"):
        integrate(ClaimsX2(), lr, 3)
