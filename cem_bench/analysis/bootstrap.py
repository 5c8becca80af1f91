"""Percentile-bootstrap confidence intervals of a mean, with the image (unit) as the sampling unit.

The bootstrap resamples whole units with replacement, ``resamples`` times, from
``numpy.random.default_rng(seed)``; the interval is the ``(1 - level) / 2`` and ``(1 + level) / 2``
percentiles of the resampled means (numpy's default linear interpolation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cem_bench.core.metrics.catalog import METRICS, STORED_DIGITS


def bootstrap_ci(values: Sequence[float | None], resamples: int = 2000, seed: int = 0,
                 level: float = 0.95) -> dict[str, float | int | None]:
    """Mean of ``values`` (None/NaN left out) with its percentile-bootstrap confidence interval.

    >>> bootstrap_ci([1.0, 1.0, None])
    {'mean': 1.0, 'low': 1.0, 'high': 1.0, 'n': 2}
    >>> ci = bootstrap_ci([0.0, 10.0], resamples=4000)
    >>> ci["mean"], ci["low"], ci["high"]
    (5.0, 0.0, 10.0)
    >>> bootstrap_ci([None])
    {'mean': None, 'low': None, 'high': None, 'n': 0}
    """
    finite = np.array([v for v in values if v is not None and not np.isnan(v)], dtype=np.float64)
    n = int(finite.size)
    if n == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    rng = np.random.default_rng(seed)
    means = finite[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return {"mean": round(float(finite.mean()), STORED_DIGITS), "low": round(float(low), STORED_DIGITS),
            "high": round(float(high), STORED_DIGITS), "n": n}


def aggregate_units(units: Sequence[dict[str, Any]], resamples: int, seed: int, level: float) -> dict[str, Any]:
    """``{metric: {mean, low, high, n}}`` over unit records (each with a ``metrics`` mapping).

    The one rule for a result's aggregates: ``pipeline.aggregate.assemble`` writes them with it and
    ``analysis.consistency`` re-derives them with it.
    """
    return {name: bootstrap_ci([unit["metrics"].get(name) for unit in units], resamples, seed, level) for name in METRICS}
