"""The findings' shared statistics: paired bootstrap, rank correlations, verdict objects."""

import numpy as np
import pandas as pd
import pytest

from cem_bench.analysis.agreement import spearman_ci
from cem_bench.analysis.findings.stats import (
    Estimate,
    Verdict,
    bootstrap_mean,
    paired_difference,
    paired_values,
    pooled_rank_correlation,
    rank_correlation,
)


def frame(units, values):
    return pd.DataFrame({"unit": units, "m": values})


def test_paired_bootstrap_known_cases():
    a = frame(["u1", "u2"], [1.0, 3.0])
    b = frame(["u2", "u1"], [2.0, 1.0])  # other order: pairs are matched by key, not position
    assert paired_values(a, b, "m").tolist() == [0.0, 1.0]
    # two differences 0 and 1: 1/4 of resamples are all-0, 1/4 all-1, so the 95% CI is [0, 1]
    assert paired_difference(a, b, "m") == Estimate(0.5, 0.0, 1.0, 2)
    assert paired_difference(frame(["u1", "u2", "u3"], [3.0, 4.0, 5.0]),
                             frame(["u1", "u2", "u3"], [1.0, 2.0, 3.0]), "m") == Estimate(2.0, 2.0, 2.0, 3)


def test_paired_bootstrap_is_the_preregistered_resampling():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=9), rng.normal(size=9)
    keys = [f"u{i}" for i in range(9)]
    estimate = paired_difference(frame(keys, a), frame(keys, b), "m")
    diff = a - b
    draws = diff[np.random.default_rng(0).integers(0, 9, size=(2000, 9))].mean(axis=1)
    low, high = np.quantile(draws, [0.025, 0.975])
    assert estimate.n == 9
    assert estimate.value == pytest.approx(diff.mean(), abs=1e-6)
    assert (estimate.low, estimate.high) == (pytest.approx(low, abs=1e-6), pytest.approx(high, abs=1e-6))


def test_unpaired_and_undefined_units_are_left_out():
    a = frame(["u1", "u2", "u3"], [1.0, np.nan, 5.0])
    b = frame(["u1", "u2", "u4"], [0.0, 1.0, 1.0])
    assert paired_difference(a, b, "m") == Estimate(1.0, 1.0, 1.0, 1)
    assert not paired_difference(a.iloc[:0], b, "m").defined
    assert bootstrap_mean([np.nan]).n == 0


def test_rank_correlations():
    x, y = np.arange(6.0), np.arange(6.0) ** 3
    assert rank_correlation(x, y) == Estimate(1.0, 1.0, 1.0, 6)
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=7), rng.normal(size=7)
    rho, low, high = spearman_ci(a, b)  # agreement.py's resampling, rounded to 6 digits
    assert rank_correlation(a, b) == Estimate(round(rho, 6), round(low, 6), round(high, 6), 7)
    assert rank_correlation([1.0], [2.0]).n == 1 and not rank_correlation([1.0], [2.0]).defined
    # pooling within-task ranks: each task's scale is removed, one task alone is plain Spearman
    pooled = pd.DataFrame({"task": ["a"] * 3 + ["b"] * 3, "x": [1, 2, 3, 100, 200, 300.0],
                           "y": [30, 20, 10, 3, 2, 1.0]})
    assert pooled_rank_correlation(pooled, "x", "y").value == pytest.approx(-1.0)
    one = pooled[pooled["task"] == "a"]
    assert pooled_rank_correlation(one, "x", "y") == rank_correlation(one["x"], one["y"])


def test_verdicts_are_one_of_three():
    assert Verdict("inconclusive", "why").verdict == "inconclusive"
    with pytest.raises(ValueError):
        Verdict("likely", "hand-written")
