"""The image as the sampling unit: per-image means and the studentized cluster bootstrap over images.

The ROIs of one image share its content, so they are not independent draws. Every statistic of the
findings therefore first averages a unit-level value over each image's ROIs (and models or tasks where
they are pooled), and the n image means are the sample: a resample draws images, each carrying its ROIs.

Intervals and tests come from the *studentized* (bootstrap-t) cluster bootstrap: the resampled pivot
``t* = (mean* − mean) / se*`` replaces Student's t, so skewed image means are allowed for. Measured by
simulation at 13 images x 9 ROIs (``benchmarks/interval_coverage.py``, 2,000 replications per design, seeded;
docs/findings.md): the 95% interval covers 92.9–98.5% on normal, gamma(2)- and exponential image effects
and on per-ROI flags, rare ones included, where Student's t-interval covers 91.1–95.0% and the percentile
bootstrap of the image means 87.8–91.8%; heavy right skew (lognormal images) is its known limit, 91.9%. The
percentile bootstrap over 3 units (the old "95%" intervals) covers 74.9% on normal data.
``tests/analysis/test_cluster.py`` repeats a smaller version. Below :data:`MIN_IMAGES` images no interval is
given ("n too small"): so few images cannot show which distribution holds.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from cem_bench.core.metrics.catalog import UNBOUNDED

MIN_IMAGES = 10  # fewer images: "n too small", no interval, no test
RESAMPLES = 4999  # the findings' tests: p-values resolved to 1/5000
# Descriptive table cells: the result files' own bootstrap (the suites' `bootstrap.resamples`), so a cell the
# leaderboard also shows (a model's gain) is the same number on both pages (tests/analysis/test_cluster.py).
TABLE_RESAMPLES = 2000
SEED = 0
LEVEL = 0.95


def image_means(frame: pd.DataFrame, column: str, by: str = "image") -> pd.Series:
    """Mean of ``column`` over each image's rows (NaN rows left out; an image without any is dropped),
    in image order.

    >>> frame = pd.DataFrame({"image": ["b", "a", "a", "b"], "v": [1.0, 2.0, 4.0, float("nan")]})
    >>> image_means(frame, "v").to_dict()
    {'a': 3.0, 'b': 1.0}
    """
    data = frame[[by, column]].dropna()
    return data.groupby(by, sort=True)[column].mean().astype(float)


@lru_cache(maxsize=32)
def _draws(n: int, resamples: int, seed: int) -> np.ndarray:
    """The resampled image indices ``[resamples, n]``: the same for every statistic of the same n (seeded)."""
    index = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    index.setflags(write=False)
    return index


def _check_side(side: str) -> None:
    """The side of a one-sided test: "above" (H0: mean ≤ bound) or "below" (H0: mean ≥ bound)."""
    if side not in ("above", "below"):
        raise ValueError(f"side must be 'above' or 'below', not {side!r}")


@dataclass(frozen=True, eq=False)
class ImageMean:
    """The mean of ``n`` image values with its studentized-bootstrap pivots (resampling images).

    >>> est = ImageMean(np.arange(13.0))
    >>> est.n, est.mean, round(est.se, 4)
    (13, 6.0, 1.0801)
    >>> low, high = est.interval()
    >>> bool(low < 6.0 < high), est.p_above(0.0) < 0.001, est.p_above(12.0) > 0.999
    (True, True, True)
    >>> ImageMean(np.ones(3)).enough
    False
    """

    values: np.ndarray
    resamples: int = RESAMPLES
    seed: int = SEED
    minimum: int = MIN_IMAGES
    support: tuple[float, float] = UNBOUNDED  # the values the mean can take (a rate: [0, 1])

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float64)
        object.__setattr__(self, "values", values[~np.isnan(values)])

    @property
    def n(self) -> int:
        return int(self.values.size)

    @property
    def enough(self) -> bool:
        """Whether there are enough images for an interval or a test (:data:`MIN_IMAGES`)."""
        return self.n >= max(self.minimum, 2)

    @property
    def mean(self) -> float:
        return float(self.values.mean()) if self.n else float("nan")

    @property
    def se(self) -> float:
        """Standard error of the mean over images (NaN below 2 images)."""
        return float(self.values.std(ddof=1) / math.sqrt(self.n)) if self.n >= 2 else float("nan")

    @cached_property
    def pivots(self) -> np.ndarray:
        """Sorted bootstrap-t pivots ``(mean* − mean) / se*``, one per resample. A resample that drew a single
        distinct value has ``se* = 0``: its pivot is infinite, signed as ``mean* − mean`` (0 when equal). It
        is kept, not left out: with a rare flag such resamples are the all-zero ones, exactly the lower tail,
        and leaving them out pushed the upper limit below the truth in 10 % of samples (docs/findings.md)."""
        if self.n < 2:
            return np.empty(0)
        draws = self.values[_draws(self.n, self.resamples, self.seed)]
        spread = draws.std(axis=1, ddof=1) / math.sqrt(self.n)
        shift = draws.mean(axis=1) - self.mean
        with np.errstate(divide="ignore", invalid="ignore"):
            pivots = np.where(spread > 0, shift / spread, np.sign(shift) * np.inf)
        return np.sort(np.nan_to_num(pivots, nan=0.0, posinf=np.inf, neginf=-np.inf))

    @property
    def degenerate(self) -> bool:
        """Every image has the same value: the mean is known exactly, its interval is that value."""
        return self.n >= 2 and self.se == 0

    def _quantile(self, q: float) -> float:
        """An order statistic of the pivots (no interpolation: a neighbour may be infinite)."""
        return float(np.quantile(self.pivots, q, method="inverted_cdf"))

    def interval(self, level: float = LEVEL) -> tuple[float, float]:
        """Two-sided bootstrap-t interval ``[mean − t*(1−a/2)·se, mean − t*(a/2)·se]`` cut to ``support`` (NaN
        when not enough). A limit is infinite when more than ``a/2`` of the resamples drew one value only
        (most images equal): the images cannot bound the mean on that side."""
        if not self.enough:
            return float("nan"), float("nan")
        if self.degenerate:
            return self.mean, self.mean
        tail = (1 - level) / 2
        low = self.mean - self._quantile(1 - tail) * self.se
        high = self.mean - self._quantile(tail) * self.se
        return max(low, self.support[0]), min(high, self.support[1])

    def p_above(self, bound: float) -> float:
        """One-sided p-value against ``H0: mean ≤ bound`` (small when the mean is reliably above ``bound``)."""
        if not self.enough:
            return float("nan")
        if self.degenerate:
            return 0.0 if self.mean > bound else 1.0
        observed = (self.mean - bound) / self.se
        return float((1 + np.count_nonzero(self.pivots >= observed)) / (1 + self.pivots.size))

    def p_below(self, bound: float) -> float:
        """One-sided p-value against ``H0: mean ≥ bound`` (small when the mean is reliably below ``bound``)."""
        if not self.enough:
            return float("nan")
        if self.degenerate:
            return 0.0 if self.mean < bound else 1.0
        observed = (self.mean - bound) / self.se
        return float((1 + np.count_nonzero(self.pivots <= observed)) / (1 + self.pivots.size))

    def t_p(self, bound: float, side: str) -> float:
        """Student's one-sided t-test p-value on the image values (``side="above"``: against ``H0: mean ≤
        bound``, as :meth:`p_above`; ``"below"``, as :meth:`p_below`). Not a findings test: a sensitivity
        check beside the bootstrap-t, whose lower tail is less conservative on skewed values (docs/findings.md).
        """
        _check_side(side)
        if not self.enough:
            return float("nan")
        if self.degenerate:
            return 0.0 if (self.mean > bound if side == "above" else self.mean < bound) else 1.0
        alternative = "greater" if side == "above" else "less"
        with warnings.catch_warnings():  # nearly equal values: scipy warns of precision, the p-value stands
            warnings.simplefilter("ignore", RuntimeWarning)
            return float(stats.ttest_1samp(self.values, bound, alternative=alternative).pvalue)

    def detectable(self, alpha: float, power: float = 0.8, side: str = "above") -> float:
        """Smallest true shift from the null (a size, ≥ 0) that a one-sided test at ``alpha`` finds with
        ``power``, holding the standard error at its observed value (approximate). ``side="above"``
        (:meth:`p_above`): ``(t*(1−alpha) − t*(1−power))·se``; ``"below"`` (:meth:`p_below`), the other tail
        of the pivots: ``(t*(power) − t*(alpha))·se``. The two differ when the pivots are skewed.
        """
        _check_side(side)
        if not self.enough:
            return float("nan")
        if self.degenerate:
            return 0.0
        if side == "below":
            return (self._quantile(power) - self._quantile(alpha)) * self.se
        return (self._quantile(1 - alpha) - self._quantile(1 - power)) * self.se

    def equivalence_margin(self, alpha: float, power: float = 0.8) -> float:
        """Smallest margin ``m`` for which TOST (two one-sided tests at ``alpha``) declares ``|mean| < m`` with
        ``power`` when the true mean is 0 (each side given half the miss probability; se held fixed)."""
        if not self.enough:
            return float("nan")
        if self.degenerate:
            return 0.0
        miss = (1 - power) / 2
        lower = self._quantile(1 - alpha) - self._quantile(miss)
        upper = self._quantile(1 - miss) - self._quantile(alpha)
        return max(lower, upper) * self.se


def image_mean(frame: pd.DataFrame, column: str, by: str = "image", resamples: int = RESAMPLES,
               support: tuple[float, float] = UNBOUNDED) -> ImageMean:
    """:class:`ImageMean` of ``column`` over the images of ``frame`` (its rows are units)."""
    return ImageMean(image_means(frame, column, by).to_numpy(), resamples=resamples, support=support)
