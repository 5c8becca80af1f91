"""Every per-unit metric in one place: its name, its leaderboard column and decimals, how it is stored.

The order of :data:`UNIT_METRICS` is the order in which results, summaries and tables list metrics;
docs/pipeline.md defines each one. ``measured`` metrics come from model outputs (they may differ by float
rounding across machines); the others are derived from the stored map and must follow from it exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

STORED_DIGITS = 6  # decimals of every number stored in a result file
SUMMARY_DIGITS = 4  # decimals of results/summary.json (a DVC metrics file)
UNBOUNDED: tuple[float, float] = (-math.inf, math.inf)  # the support of a metric that can take any value


@dataclass(frozen=True)
class UnitMetric:
    name: str
    measured: bool
    header: str | None = None  # leaderboard column header; None: not a leaderboard column
    decimals: int = 2  # leaderboard decimals
    # the values the metric can take: an interval of its mean is cut to them (a count's mean is never < 0)
    support: tuple[float, float] = UNBOUNDED


NON_NEGATIVE = (0.0, math.inf)
PERCENT = (0.0, 100.0)  # (1 − Gini) × 100
UNIT_METRICS: tuple[UnitMetric, ...] = (
    UnitMetric("psnr_roi", True, "ROI PSNR (dB)", 2),
    UnitMetric("psnr_input", True),
    UnitMetric("psnr_gain", True, "gain (dB)", 2),
    UnitMetric("positive", False, "+ blocks", 1, NON_NEGATIVE),
    UnitMetric("negative", False, "− blocks", 1, NON_NEGATIVE),
    UnitMetric("zero", False, "0 blocks", 1, NON_NEGATIVE),
    UnitMetric("positive_sum", False, support=NON_NEGATIVE),
    UnitMetric("negative_sum", False, support=(-math.inf, 0.0)),
    UnitMetric("effect_range", False, "effect range (dB)", 3, NON_NEGATIVE),
    UnitMetric("negative_fraction", False, support=(0.0, 1.0)),
    UnitMetric("causal_radius", False, "causal radius (median)", 1, NON_NEGATIVE),
    UnitMetric("diffusion_index", False, "DI", 1, PERCENT),
    UnitMetric("lam_di", True, "LAM DI", 1, PERCENT),
)
METRICS: tuple[str, ...] = tuple(metric.name for metric in UNIT_METRICS)
SUPPORT: dict[str, tuple[float, float]] = {metric.name: metric.support for metric in UNIT_METRICS}
MEASURED_METRICS: tuple[str, ...] = tuple(metric.name for metric in UNIT_METRICS if metric.measured)
LEADERBOARD_COLUMNS: tuple[UnitMetric, ...] = tuple(metric for metric in UNIT_METRICS if metric.header)


def stored_metric(value: float | int | None) -> float | int | None:
    """JSON-safe metric: NaN or None (undefined) -> null, floats rounded to :data:`STORED_DIGITS`.

    >>> stored_metric(float("nan")), stored_metric(3), stored_metric(0.12345678)
    (None, 3, 0.123457)
    """
    if isinstance(value, int) or value is None:
        return value
    return None if math.isnan(value) else round(float(value), STORED_DIGITS)
