"""The estimator on a real checkpoint: DnCNN (20 3x3 conv layers: receptive-field radius 20 px)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import needs_assets

from cem_bench import Protocol, score
from cem_bench.cem.acceleration import Acceleration
from cem_bench.core.assets import asset_path
from cem_bench.core.geometry import ROI
from cem_bench.core.images import read_rgb

RF_RADIUS = 20


def block_distance(grid_rows: int, grid_cols: int, block: int, roi: ROI) -> np.ndarray:
    """Chebyshev distance in pixels between each block and the ROI (0 when they touch/overlap)."""
    dist = np.zeros((grid_rows, grid_cols), dtype=int)
    for row in range(grid_rows):
        for col in range(grid_cols):
            dy = max(roi.y - (row + 1) * block + 1, row * block - (roi.y + roi.size - 1), 0)
            dx = max(roi.x - (col + 1) * block + 1, col * block - (roi.x + roi.size - 1), 0)
            dist[row, col] = max(dy, dx)
    return dist


@needs_assets
@pytest.mark.slow
def test_dncnn_neighbours_help_and_nothing_beyond_its_receptive_field(tmp_path):
    from PIL import Image

    crop = read_rgb(asset_path("images/cem_demo_2.png"))[120:216, 64:160]  # paper ROI (96,152) -> (32,32)
    Image.fromarray(crop).save(tmp_path / "crop.png")
    roi = ROI(32, 32, 32)
    runs = {
        name: score("dncnn-color-blind", "dn", tmp_path / "crop.png", roi, protocol=Protocol(coarse=3, fine=10),
                    device="cpu", progress=False, acceleration=acceleration).result
        for name, acceleration in (("plain", Acceleration.off()), ("accel", Acceleration()))
    }
    run, fast = runs["plain"], runs["accel"]
    ce = run.ce
    distance = block_distance(*ce.shape, 8, roi)
    beyond = distance > RF_RADIUS
    assert beyond.sum() > 40
    assert (ce[beyond] == 0).all() and (run.n_samples[beyond] == 3).all()  # never even sampled finely
    # The exact accelerations skip most of those blocks and crop the input, and change nothing.
    assert np.array_equal(fast.ce, ce, equal_nan=True)
    sampled = fast.n_samples > 0
    assert np.array_equal(fast.stderr[sampled], run.stderr[sampled], equal_nan=True)
    assert fast.acceleration["screened_blocks"] > 0 and fast.forwards < run.forwards
    # The 16 blocks sharing an edge with the ROI: real content there helps the ROI.
    edge = np.zeros_like(beyond)
    edge[3, 4:8] = edge[8, 4:8] = edge[4:8, 3] = edge[4:8, 8] = True
    assert (ce[edge] >= 0).all() and (ce[edge] > 0).sum() >= 14
    assert np.nanmin(ce) >= 0  # no block of this denoiser hurts the ROI at sigma 50
