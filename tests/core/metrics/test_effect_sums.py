"""Sums of helping and hurting effect on hand-made maps."""

import numpy as np

from cem_bench.core.metrics import effect_sums


def test_sums_split_by_sign_and_skip_the_roi():
    ce = np.array([[0.3, 0.0, -0.1], [np.nan, np.nan, 0.0], [1.2, -0.4, 0.0]])
    sums = effect_sums(ce)
    assert np.isclose(sums["positive"], 1.5) and np.isclose(sums["negative"], -0.5)


def test_sums_of_an_empty_effect_are_zero_not_nan():
    assert effect_sums(np.array([[np.nan, 0.0], [0.0, 0.0]])) == {"positive": 0.0, "negative": 0.0}
