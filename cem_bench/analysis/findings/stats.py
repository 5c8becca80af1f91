"""Shared statistics of the findings: image-level estimates, paired differences, Holm, verdicts, tables.

Pre-registered conventions (docs/findings.md): the image is the sampling unit (unit values are averaged
per image first; :mod:`cem_bench.analysis.cluster`), 95 % studentized cluster-bootstrap intervals, no
interval below 10 images, one primary test per finding, Holm across the three findings at 5 %, power as
the smallest effect detectable with 80 % power at Holm's strictest level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cem_bench.analysis.cluster import LEVEL, MIN_IMAGES, TABLE_RESAMPLES, ImageMean, image_mean
from cem_bench.analysis.correlation import DASH, number
from cem_bench.core.errors import CemBenchError

ALPHA = 0.05  # family-wise, across the three findings (Holm)
FINDINGS_TESTED = 3  # Holm's m: always three, an uncomputable test counts as p = 1
POWER = 0.8
POWER_ALPHA = ALPHA / FINDINGS_TESTED  # Holm's strictest step: the level at which power is stated
VERDICTS = ("supported", "not supported", "inconclusive")
PAIR_KEYS = ("task", "unit")  # a paired difference: the same task, image and ROI


@dataclass(frozen=True)
class Estimate:
    """A mean over images with its 95 % interval (NaN below :data:`MIN_IMAGES` images) for a table cell."""

    value: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, mean: ImageMean) -> "Estimate":
        low, high = mean.interval()
        return cls(mean.mean, low, high, mean.n)

    @property
    def enough(self) -> bool:
        return self.n >= MIN_IMAGES and not math.isnan(self.low)

    def text(self, decimals: int = 2, unit: str = "") -> str:
        """``mean [low, high]`` (a constant shows its value only), ``mean (n too small)``, ``–`` without data.

        >>> Estimate(1.0, 0.5, 1.25, 13).text(), Estimate(2.0, 2.0, 2.0, 13).text(1, " dB")
        ('1.00 [0.50, 1.25]', '2.0 dB')
        >>> Estimate(0.5, float("nan"), float("nan"), 3).text(), NO_ESTIMATE.text()
        ('0.50 (n too small)', '–')
        """
        if not self.n or math.isnan(self.value):
            return DASH
        value = number(self.value, decimals)
        if not self.enough:
            return f"{value}{unit} (n too small)"
        low, high = number(self.low, decimals), number(self.high, decimals)
        return f"{value}{unit}" if value == low == high else f"{value} [{low}, {high}]{unit}"


NO_ESTIMATE = Estimate(float("nan"), float("nan"), float("nan"), 0)


def estimate(frame: pd.DataFrame, column: str) -> Estimate:
    """The mean of ``column`` over the images of ``frame``'s units, with its interval: a table cell, drawn
    like the result files' aggregates (:data:`~cem_bench.analysis.cluster.TABLE_RESAMPLES`)."""
    if not len(frame):
        return NO_ESTIMATE
    return Estimate.of(image_mean(frame, column, resamples=TABLE_RESAMPLES))


def paired_frame(a: pd.DataFrame, b: pd.DataFrame, column: str, keys: Sequence[str] = PAIR_KEYS) -> pd.DataFrame:
    """``image`` and ``diff = column(a) − column(b)`` for every unit both have (matched on ``keys``, never on
    row order; a pair with an undefined side is left out).

    >>> a = pd.DataFrame({"task": "t", "unit": ["i1@0", "i2@0"], "image": ["i1", "i2"], "m": [3.0, 5.0]})
    >>> b = a.assign(m=[1.0, float("nan")]).iloc[::-1]
    >>> paired_frame(a, b, "m").to_dict("list")
    {'image': ['i1'], 'diff': [2.0]}
    """
    keys = list(keys)
    if "protocol" in a and "protocol" in b and len(a) and len(b) and set(a["protocol"]) != set(b["protocol"]):
        raise CemBenchError(f"paired units come from different protocols ({', '.join(sorted(set(a['protocol'])))} vs "
                            f"{', '.join(sorted(set(b['protocol'])))}): their maps are not comparable")
    merged = a[[*keys, "image", column]].merge(b[[*keys, column]], on=keys, suffixes=("_a", "_b"))
    merged = merged.assign(diff=merged[f"{column}_a"] - merged[f"{column}_b"]).dropna(subset=["diff"])
    return merged.sort_values(keys)[["image", "diff"]].reset_index(drop=True)


def paired_mean(a: pd.DataFrame, b: pd.DataFrame, column: str, keys: Sequence[str] = PAIR_KEYS) -> ImageMean:
    """The paired differences ``a − b`` of ``column`` averaged per image: the sample of a paired test."""
    return image_mean(paired_frame(a, b, column, keys), "diff")


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (NaN counts as 1), padded to :data:`FINDINGS_TESTED` tests.

    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    >>> holm([0.01, float("nan")])
    [0.03, 1.0]
    """
    p = np.array([1.0 if math.isnan(v) else v for v in pvalues], dtype=float)
    m = max(len(p), FINDINGS_TESTED)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(len(p))) * p[order]))
    out = np.empty(len(p))
    out[order] = adjusted
    return [round(float(v), 12) for v in out]


def interval_text(mean: ImageMean, decimals: int = 2, unit: str = "") -> str:
    """A mean with its interval and n in prose, for a verdict's reason.

    >>> interval_text(ImageMean(np.full(13, 0.25)), unit=" dB")
    '0.25 dB, 95% CI [0.25, 0.25] dB, n = 13 images'
    >>> interval_text(ImageMean(np.ones(4)))
    '1.00, n = 4 images (too few for an interval: the minimum is 10)'
    """
    value = number(mean.mean, decimals)
    if not mean.enough:
        return f"{value}{unit}, n = {mean.n} images (too few for an interval: the minimum is {MIN_IMAGES})"
    low, high = (number(v, decimals) for v in mean.interval())
    return f"{value}{unit}, {LEVEL:.0%} CI [{low}, {high}]{unit}, n = {mean.n} images"


def p_text(p: float) -> str:
    """A p-value in prose: ``p = 0.012``, ``p < 0.001``.

    >>> p_text(0.01234), p_text(0.0002), p_text(float("nan"))
    ('p = 0.012', 'p < 0.001', 'p undefined')
    """
    if math.isnan(p):
        return "p undefined"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


@dataclass(frozen=True)
class Primary:
    """A finding's primary test: its p-value (NaN when it could not run), n images, what it found, its power,
    the not-supported reason when the contrary condition holds, and why it could not run (``blocked``)."""

    p: float
    n: int
    statement: str
    power: str
    contrary: str | None = None
    blocked: str | None = None
    sensitivity: Sensitivity | None = None  # the same hypotheses by Student's t: never the verdict


@dataclass(frozen=True)
class Sensitivity:
    """A primary test's hypotheses tested again by Student's t on the same image means: each part's p-value,
    and their intersection–union ``p`` (the largest), which Holm adjusts like the primary p."""

    parts: tuple[tuple[str, float], ...]

    @property
    def p(self) -> float:
        return max(p for _, p in self.parts)

    def text(self, holm_p: float | None = None) -> str:
        """The report's line; with ``holm_p``, what the verdict's rule would say on it.

        >>> Sensitivity((("Δnz", 0.0004), ("Δrange", 0.018))).text(0.054)  # doctest: +NORMALIZE_WHITESPACE
        "Student's t on the same image means: Δnz p < 0.001, Δrange p = 0.018; intersection–union p = 0.018;
        Holm-adjusted across the three findings p = 0.054, above 0.05: on Student's t this test would not pass"
        >>> Sensitivity((("E[D] > 0.10", 0.2),)).text()
        "Student's t on the same image means: E[D] > 0.10 p = 0.200"
        """
        line = "Student's t on the same image means: " + ", ".join(f"{name} {p_text(p)}" for name, p in self.parts)
        if len(self.parts) > 1:
            line += f"; intersection–union {p_text(self.p)}"
        if holm_p is not None and not math.isnan(holm_p):
            passes = "≤ 0.05: on Student's t this test would pass too" if holm_p <= ALPHA else \
                "above 0.05: on Student's t this test would not pass"
            line += f"; Holm-adjusted across the three findings {p_text(holm_p)}, {passes}"
        return line


def blocked(reason: str, n: int = 0) -> Primary:
    """A primary test that could not run (a model left out, too few images)."""
    return Primary(float("nan"), n, reason, "–", None, reason)


@dataclass(frozen=True)
class Verdict:
    """A computed verdict (one of :data:`VERDICTS`) and the sentence that says why."""

    verdict: str
    reason: str

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


def decide(primary: Primary, adjusted: float) -> Verdict:
    """The verdict from a primary test and its Holm-adjusted p-value (docs/findings.md, "Verdicts")."""
    if primary.blocked:
        return Verdict("inconclusive", primary.blocked)
    holm_p = f"Holm-adjusted {p_text(adjusted)}"
    if adjusted <= ALPHA:
        return Verdict("supported", f"{primary.statement}; {holm_p} ≤ {ALPHA}")
    if primary.contrary:
        return Verdict("not supported", f"{primary.contrary}; {primary.statement}")
    return Verdict("inconclusive", f"{primary.statement}; {holm_p} > {ALPHA}, and the contrary condition does not hold")


@dataclass(frozen=True)
class Table:
    """A report table: caption, headers and rows of already formatted cells."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Finding:
    """Everything the report says about one finding; ``verdict`` is set by
    :func:`cem_bench.analysis.findings.analyse_all` once Holm has seen all three primary tests."""

    number: int
    title: str
    hypothesis: str
    test: str
    primary: Primary
    tables: tuple[Table, ...] = field(default_factory=tuple)
    limits: str = ""
    verdict: Verdict | None = None
    holm_p: float = float("nan")  # the primary p-value after Holm across the three findings
    sensitivity_holm_p: float = float("nan")  # the Student-t sensitivity p after the same Holm step


def cell(value: float | None, decimals: int = 2) -> str:
    """One number for a table cell, ``–`` for NaN/None.

    >>> cell(-0.004), cell(float("nan")), cell(12.345, 1)
    ('0.00', '–', '12.3')
    """
    return number(float(value), decimals) if value is not None else DASH
