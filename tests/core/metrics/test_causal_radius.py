"""Causal radius on hand-made maps, checked against a brute-force pixel-distance reference."""

import math

import numpy as np
import pytest

from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.core.metrics import causal_radius
from cem_bench.core.metrics.causal_radius import block_distances


def brute_distance(grid: BlockGrid, roi: ROI, row: int, col: int) -> int:
    """Smallest Chebyshev pixel gap, counting touching (adjacent) pixels as gap 0."""
    ys = range(row * grid.block, min((row + 1) * grid.block, grid.height))
    xs = range(col * grid.block, min((col + 1) * grid.block, grid.width))
    roi_ys, roi_xs = range(roi.y, roi.y + roi.size), range(roi.x, roi.x + roi.size)
    gap = lambda a, values: min(max(0, abs(a - v) - 1) for v in values)  # noqa: E731
    return max(min(gap(y, roi_ys) for y in ys), min(gap(x, roi_xs) for x in xs))


@pytest.mark.parametrize("grid, roi", [(BlockGrid(44, 60, 8), ROI(21, 13, 10)), (BlockGrid(64, 64, 8), ROI(24, 24, 16))])
def test_distances_match_brute_force_on_partial_and_unaligned_grids(grid, roi):
    distances = block_distances(grid, roi)
    expected = [[brute_distance(grid, roi, r, c) for c in range(grid.cols)] for r in range(grid.rows)]
    assert distances.tolist() == expected


def test_radius_is_the_ring_that_reaches_ninety_percent():
    grid, roi = BlockGrid(64, 64, 8), ROI(24, 24, 16)  # ROI blocks rows/cols 3-4
    ce = np.zeros((8, 8))
    ce[3:5, 3:5] = np.nan
    ce[2, 3] = 1.0  # touches the ROI: distance 0
    ce[1, 3] = -1.0  # one ring out: 8 px
    ce[0, 0] = 0.3  # two rings out: 16 px (gap to the ROI corner)
    assert causal_radius(ce, roi, grid) == 16.0  # 2.0 / 2.3 = 87 %: needs the outer block too
    ce[0, 0] = 0.0
    assert causal_radius(ce, roi, grid) == 8.0
    assert causal_radius(ce, roi, grid, mass=0.5) == 0.0


def test_exactly_ninety_percent_counts_as_reached():
    grid, roi = BlockGrid(32, 32, 8), ROI(0, 0, 8)
    ce = np.zeros((4, 4))
    ce[0, 0] = np.nan
    ce[0, 1], ce[3, 3] = 0.9, 0.1  # 90 % at distance 0, the rest at 16 px
    assert causal_radius(ce, roi, grid) == 0.0


def test_no_effect_has_no_radius():
    ce = np.zeros((4, 4))
    ce[0, 0] = np.nan
    assert math.isnan(causal_radius(ce, ROI(0, 0, 8), BlockGrid(32, 32, 8)))
