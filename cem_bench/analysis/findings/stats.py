"""Shared statistics of the findings: bootstrap means, paired differences, rank correlations, verdicts.

Pre-registered conventions (docs/findings.md): percentile bootstrap, ``numpy.random.default_rng(0)``,
2,000 resamples, 95% level. Paired model comparisons resample (image, ROI) units, each unit carrying
its own difference; correlations resample models (``cem_bench.analysis.agreement.spearman_ci``). Too little
data (fewer than 2 paired units, fewer than 4 models) makes a verdict ``inconclusive``, never a guess.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cem_bench.analysis.agreement import LEVEL, MIN_MODELS, RESAMPLES, SEED, spearman_ci
from cem_bench.analysis.bootstrap import bootstrap_ci
from cem_bench.core.metrics.catalog import STORED_DIGITS

MIN_PAIRED = 2  # one unit gives a degenerate interval: no evidence either way
MIN_CORRELATED = MIN_MODELS  # agreement.py's floor for a rank correlation (4 models)
VERDICTS = ("supported", "not supported", "inconclusive")
DASH = "–"


@dataclass(frozen=True)
class Estimate:
    """A point estimate (mean or rho) with its 95% bootstrap interval and the n it used."""

    value: float
    low: float
    high: float
    n: int

    @property
    def defined(self) -> bool:
        """Whether the interval exists (enough data and not NaN)."""
        return self.n > 0 and not any(math.isnan(v) for v in (self.value, self.low, self.high))

    def text(self, decimals: int = 2, unit: str = "") -> str:
        """``mean [low, high]`` (a constant shows its value only), ``–`` when undefined.

        >>> Estimate(1.0, 0.5, 1.25, 3).text(), Estimate(2.0, 2.0, 2.0, 2).text(1, " dB")
        ('1.00 [0.50, 1.25]', '2.0 dB')
        >>> Estimate(float("nan"), float("nan"), float("nan"), 0).text()
        '–'
        """
        if not self.defined:
            return DASH
        value, low, high = (_number(v, decimals) for v in (self.value, self.low, self.high))
        return f"{value}{unit}" if value == low == high else f"{value} [{low}, {high}]{unit}"


NO_ESTIMATE = Estimate(float("nan"), float("nan"), float("nan"), 0)


def _number(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.00"


@dataclass(frozen=True)
class Verdict:
    """A computed verdict (one of :data:`VERDICTS`) and the sentence that says why."""

    verdict: str
    reason: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


@dataclass(frozen=True)
class Table:
    """A report table: caption, headers and rows of already formatted cells."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Finding:
    """Everything the report says about one finding (figures are drawn from the units separately)."""

    number: int
    title: str
    hypothesis: str
    test: str
    verdict: Verdict
    tables: tuple[Table, ...] = field(default_factory=tuple)
    limits: str = ""


def bootstrap_mean(values: Sequence[float] | np.ndarray) -> Estimate:
    """Mean and percentile-bootstrap CI over units (NaN left out); same resampling as the aggregates.

    >>> bootstrap_mean([0.5, 0.5, 0.5])
    Estimate(value=0.5, low=0.5, high=0.5, n=3)
    >>> bootstrap_mean([])
    Estimate(value=nan, low=nan, high=nan, n=0)
    """
    ci = bootstrap_ci([float(v) for v in values], RESAMPLES, SEED, LEVEL)
    if ci["mean"] is None:
        return NO_ESTIMATE
    return Estimate(float(ci["mean"]), float(ci["low"]), float(ci["high"]), int(ci["n"]))


def paired_values(a: pd.DataFrame, b: pd.DataFrame, metric: str, keys: Sequence[str] = ("unit",)) -> pd.Series:
    """``metric(a) − metric(b)`` per unit present in both (matched on ``keys``, never on row order)."""
    keys = list(keys)
    merged = a[keys + [metric]].merge(b[keys + [metric]], on=keys, suffixes=("_a", "_b"))
    merged = merged.sort_values(keys)  # a fixed order: the bootstrap draws by position
    return (merged[f"{metric}_a"] - merged[f"{metric}_b"]).dropna().reset_index(drop=True)


def paired_difference(a: pd.DataFrame, b: pd.DataFrame, metric: str, keys: Sequence[str] = ("unit",)) -> Estimate:
    """Mean paired difference ``a − b`` of ``metric`` with a bootstrap CI resampling the paired units.

    >>> a = pd.DataFrame({"unit": ["u1", "u2"], "m": [3.0, 5.0]})
    >>> b = pd.DataFrame({"unit": ["u2", "u1"], "m": [4.0, 2.0]})
    >>> paired_difference(a, b, "m")
    Estimate(value=1.0, low=1.0, high=1.0, n=2)
    """
    return bootstrap_mean(paired_values(a, b, metric, keys).to_numpy(float))


def rank_correlation(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> Estimate:
    """Spearman's rho and its bootstrap CI over the (x, y) points (models); pairs with a NaN are dropped.

    >>> rank_correlation([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 9.0])
    Estimate(value=1.0, low=1.0, high=1.0, n=4)
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    if len(x) < 2:
        return Estimate(float("nan"), float("nan"), float("nan"), int(len(x)))
    rho, low, high = spearman_ci(x, y, RESAMPLES, SEED, LEVEL)
    return Estimate(*(round(v, STORED_DIGITS) for v in (rho, low, high)), len(x))


def within_group_ranks(frame: pd.DataFrame, column: str, group: str = "task") -> pd.Series:
    """Percentile rank of ``column`` within each ``group`` (ties averaged), so groups can be pooled.

    >>> frame = pd.DataFrame({"task": ["a", "a", "b", "b"], "v": [1.0, 2.0, 10.0, 20.0]})
    >>> within_group_ranks(frame, "v").tolist()
    [0.5, 1.0, 0.5, 1.0]
    """
    return frame.groupby(group)[column].rank(pct=True)


def pooled_rank_correlation(frame: pd.DataFrame, x: str, y: str, group: str = "task") -> Estimate:
    """Spearman's rho of ``x`` and ``y`` after ranking both within each group, over all pooled rows.

    With a single group this equals the plain Spearman rho (percentile ranks keep the order).
    """
    data = frame.dropna(subset=[x, y])
    if not len(data):
        return NO_ESTIMATE
    ranks_x, ranks_y = within_group_ranks(data, x, group), within_group_ranks(data, y, group)
    return rank_correlation(ranks_x.to_numpy(), ranks_y.to_numpy())


def interval_text(estimate: Estimate, decimals: int = 2, unit: str = "") -> str:
    """A CI in prose for verdict reasons.

    >>> interval_text(Estimate(0.25, 0.125, 0.5, 6), unit=" dB")
    '0.25 dB, 95% CI [0.12, 0.50] dB, n = 6'
    """
    if not estimate.defined:
        return f"undefined (n = {estimate.n})"
    value, low, high = (_number(v, decimals) for v in (estimate.value, estimate.low, estimate.high))
    return f"{value}{unit}, 95% CI [{low}, {high}]{unit}, n = {estimate.n}"


def cell(value: float, decimals: int = 2) -> str:
    """One number for a table cell, ``–`` for NaN/None.

    >>> cell(-0.004), cell(float("nan")), cell(12.345, 1)
    ('0.00', '–', '12.3')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return _number(float(value), decimals)
