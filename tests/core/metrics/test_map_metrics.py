"""Map metrics on hand-made maps (the ROI is NaN)."""

import numpy as np
import torch

from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.core.metrics import effect_counts, effect_range, map_metrics, roi_psnr

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


def test_map_metrics_gathers_every_metric_of_one_map():
    # MAP on a 24x24 image with 8px blocks; the ROI covers the NaN blocks (row 1, cols 0-1).
    metrics = map_metrics(MAP, ROI(0, 8, 16), BlockGrid(24, 24, 8))
    assert (metrics["positive"], metrics["negative"], metrics["zero"]) == (2, 2, 3)
    assert np.isclose(metrics["positive_sum"], 1.5) and np.isclose(metrics["negative_sum"], -0.5)
    assert np.isclose(metrics["effect_range"], 1.6) and metrics["negative_fraction"] == 0.5
    assert metrics["causal_radius"] == 0.0  # every block of a 3x3 grid touches this ROI
    assert 0 < metrics["diffusion_index"] < 100
