"""The estimator against models whose causal support is exact geometry."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import reachable_blocks, run_cem

from cem_bench.core.geometry import ROI
from cem_bench.core.tasks import get_task
from cem_bench.models import load_model

CASES = [
    ("identity", "dn", {"sigma": 50}, ROI(24, 24, 16)),
    ("box-blur-3", "dn", {"sigma": 25}, ROI(24, 24, 16)),
    ("box-blur-5", "dn", {"sigma": 50}, ROI(20, 20, 16)),  # ROI not aligned to the grid
    ("box-blur-5", "dr", {}, ROI(16, 24, 24)),
    ("nearest-x2", "sr", {"scale": 2}, ROI(24, 24, 16)),
    ("nearest-x4", "sr", {"scale": 4}, ROI(24, 24, 16)),
    ("bicubic-x2", "sr", {"scale": 2}, ROI(24, 24, 16)),
    ("bicubic-x4", "sr", {"scale": 4}, ROI(24, 32, 16)),
]


@pytest.mark.parametrize("acceleration", ["accel", "plain"])
@pytest.mark.parametrize(("name", "task_name", "params", "roi"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_nonzero_effect_exactly_on_the_operator_support(astronaut64, name, task_name, params, roi, acceleration):
    """With and without the exact accelerations: the screen must never skip a block with an effect."""
    model, task = load_model(name), get_task(task_name, **params)
    result = run_cem(model, task, astronaut64, roi, acceleration=acceleration)
    in_size = (astronaut64.shape[0] // task.scale, astronaut64.shape[1] // task.scale)
    expected = reachable_blocks(model.network, result.grid, roi, in_size) & ~result.roi_mask
    nonzero = np.nan_to_num(result.ce) != 0
    assert np.array_equal(nonzero, expected), f"CE support differs from geometry:\n{nonzero.astype(int) - expected.astype(int)}"
    assert np.isnan(result.ce[result.roi_mask]).all()
    assert (result.n_samples[result.roi_mask] == 0).all()


@pytest.mark.parametrize("acceleration", ["accel", "plain"])
def test_identity_has_no_effect_outside_the_roi(astronaut64, acceleration):
    result = run_cem(load_model("identity"), get_task("dn"), astronaut64, ROI(8, 8, 32), acceleration=acceleration)
    outside = result.ce[~result.roi_mask]
    assert (outside == 0).all()
    assert result.fine_blocks == 0  # no coarse sample moved the ROI, so no fine stage at all
    screened = result.acceleration["screened_blocks"]
    assert screened == (0 if acceleration == "plain" else outside.size)  # the ROI depends on its own blocks only
    assert result.forwards == 1 + (outside.size - screened) * 3


def test_destroying_neighbours_hurts_a_blur_roi(astronaut64):
    """Replacing real content near the ROI of a smoothing model lowers ROI PSNR: effect is positive."""
    result = run_cem(load_model("box-blur-5"), get_task("dn", sigma=50), astronaut64, ROI(24, 24, 16), fine=8)
    ring = result.ce[~result.roi_mask & (np.nan_to_num(result.ce) != 0)]
    assert (ring > 0).all()


def test_partial_edge_blocks_on_non_square_images(coffee_odd):
    """44x60 output, block 8: a 6x8 grid whose last row is 4 pixels tall."""
    model, task = load_model("box-blur-3"), get_task("dn", sigma=25)
    roi = ROI(44, 24, 16)  # touches the last (partial) row of blocks
    result = run_cem(model, task, coffee_odd, roi)
    assert result.ce.shape == (6, 8)
    expected = reachable_blocks(model.network, result.grid, roi, coffee_odd.shape[:2]) & ~result.roi_mask
    assert np.array_equal(np.nan_to_num(result.ce) != 0, expected)


def test_tolerance_zeroes_small_effects(astronaut64):
    """With a tolerance above every effect, the map is all zeros (and no fine stage runs)."""
    result = run_cem(load_model("box-blur-5"), get_task("dn"), astronaut64, ROI(24, 24, 16), tol=100.0)
    assert (result.ce[~result.roi_mask] == 0).all()
    assert result.fine_blocks == 0


def test_fine_mean_replaces_coarse_mean(astronaut64):
    result = run_cem(load_model("box-blur-5"), get_task("dn"), astronaut64, ROI(24, 24, 16), coarse=2, fine=7, tol=0.0,
                     acceleration="plain")  # every block sampled, so every unmoved block has 2 samples
    moved = np.nan_to_num(result.ce) != 0
    assert set(np.unique(result.n_samples[moved])) == {7}
    assert set(np.unique(result.n_samples[~moved & ~result.roi_mask])) == {2}
