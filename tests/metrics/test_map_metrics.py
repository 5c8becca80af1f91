"""Map metrics on hand-made maps (the ROI is NaN)."""

import numpy as np
import torch

from cem_bench.geometry import ROI
from cem_bench.metrics import effect_counts, effect_range, roi_psnr

MAP = np.array([[0.3, 0.0, -0.1], [np.nan, np.nan, 0.0], [1.2, -0.4, 0.0]])


def test_counts_exclude_the_roi():
    assert effect_counts(MAP) == {"positive": 2, "negative": 2, "zero": 3}


def test_effect_range_and_positions():
    spread = effect_range(MAP)
    assert spread["max"] == 1.2 and spread["argmax"] == [2, 0]
    assert spread["min"] == -0.4 and spread["argmin"] == [2, 1]
    assert abs(spread["range"] - 1.6) < 1e-12


def test_roi_psnr_matches_a_numpy_reference():
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 256, (3, 16, 16)).astype(np.float32)
    out = torch.from_numpy(rng.uniform(-0.1, 1.1, (2, 3, 24, 24)).astype(np.float32))
    roi = ROI(4, 6, 16)
    expected = []
    for item in out.numpy():
        window = np.round(np.clip(item[:, 6:22, 4:20], 0, 1) * 255)
        expected.append(10 * np.log10(255**2 / np.mean((window - gt) ** 2)))
    assert np.allclose(roi_psnr(out, torch.from_numpy(gt), roi).numpy(), expected, atol=1e-9)
