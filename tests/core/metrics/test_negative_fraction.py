"""Fraction of non-zero blocks that hurt the ROI, on hand-made maps."""

import math

import numpy as np

from cem_bench.core.metrics import negative_fraction


def test_zero_blocks_and_roi_do_not_count():
    ce = np.array([[0.3, 0.0, -0.1], [np.nan, np.nan, 0.0], [1.2, -0.4, -2.0]])
    assert negative_fraction(ce) == 3 / 5


def test_all_negative_and_undefined():
    assert negative_fraction(np.array([[-0.5, -0.01]])) == 1.0
    assert math.isnan(negative_fraction(np.array([[0.0, np.nan]])))
