"""ROI PSNR of the degraded input (the baseline of the PSNR gain)."""

import numpy as np

from cem_bench.core.geometry import ROI
from cem_bench.core.metrics import input_psnr
from cem_bench.core.tasks import get_task
from cem_bench.core.tasks.sr import bicubic_resize


def numpy_psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)))


def test_sr_input_is_bicubic_upsampled_before_comparing(astronaut64):
    degraded = get_task("sr", scale=4).degrade(astronaut64, 0)
    roi = ROI(16, 24, 32)
    up = bicubic_resize(degraded.lq, 64, 64)
    expected = numpy_psnr(up[24:56, 16:48], astronaut64[24:56, 16:48])
    assert abs(input_psnr(degraded.gt, degraded.lq, roi) - expected) < 1e-9


def test_same_size_input_is_compared_directly(astronaut64):
    degraded = get_task("dn", sigma=25).degrade(astronaut64, 0)
    roi = ROI(0, 0, 64)
    assert abs(input_psnr(degraded.gt, degraded.lq, roi) - numpy_psnr(degraded.lq, degraded.gt)) < 1e-9
