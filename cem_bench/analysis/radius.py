"""Causal radii as what they are: a measurement, or a lower bound where the image edge cut the map.

A unit's radius is censored when it reaches the image's complete-ring limit
(:func:`cem_bench.core.metrics.causal_radius.complete_radius`; flag set by
:mod:`cem_bench.analysis.significance`): it reads "≥ R (image edge)". Censored values are never averaged:
a set of radii is summarised by its median, written "≥ m" when a censored radius at or below m could
move it, and always with the number of censored units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cem_bench.core.geometry import ROI
from cem_bench.core.metrics.causal_radius import complete_radius
from cem_bench.records.io import unit_grid

EDGE = "image edge"


def radius_text(radius: float, censored: float) -> str:
    """One unit's radius.

    >>> radius_text(8.0, 0.0), radius_text(16.0, 1.0), radius_text(float("nan"), float("nan"))
    ('8 px', '≥ 16 px (image edge)', '–')
    """
    if np.isnan(radius):
        return "–"
    return f"≥ {radius:g} px ({EDGE})" if censored else f"{radius:g} px"


@dataclass(frozen=True)
class RadiusSummary:
    """Median radius over units (censored ones at their bound), whether it is only a lower bound, and counts."""

    median: float
    lower_bound: bool
    censored: int
    n: int

    def text(self) -> str:
        """``8 px (0/9 at the image edge)``, ``≥ 16 px (5/9 at the image edge)``, ``–`` without radii.

        >>> summarise_radii([0.0, 8.0, 16.0], [0.0, 0.0, 1.0]).text()
        '8 px (1/3 at the image edge)'
        >>> summarise_radii([8.0, 16.0, 16.0], [0.0, 1.0, 1.0]).text()
        '≥ 16 px (2/3 at the image edge)'
        """
        if not self.n:
            return "–"
        bound = "≥ " if self.lower_bound else ""
        return f"{bound}{self.median:g} px ({self.censored}/{self.n} at the {EDGE})"


def summarise_radii(radius: pd.Series | list[float] | np.ndarray, censored: pd.Series | list[float] | np.ndarray) -> RadiusSummary:
    """The median of the defined radii; a lower bound when any censored radius lies at or below it."""
    values, flags = np.asarray(radius, dtype=float), np.asarray(censored, dtype=float)
    keep = ~np.isnan(values)
    values, flags = values[keep], flags[keep] == 1
    if not values.size:
        return RadiusSummary(float("nan"), False, 0, 0)
    median = float(np.median(values))
    return RadiusSummary(median, bool((values[flags] <= median).any()), int(flags.sum()), int(values.size))


def radius_summary(units: pd.DataFrame, significant: bool = True) -> RadiusSummary:
    """The summary of a unit table's radii: the significant map's (default) or the raw map's."""
    if significant:
        return summarise_radii(units["sig_causal_radius"], units["sig_radius_censored"])
    return summarise_radii(units["causal_radius"], units["radius_censored"])


def unit_radii(units: Sequence[dict[str, Any]]) -> RadiusSummary:
    """The summary of result-file unit records' raw-map radii, each censored at its own image-edge limit
    (what the leaderboard shows instead of a mean of lower bounds)."""
    stored = [unit["metrics"]["causal_radius"] for unit in units]
    radii = np.array([np.nan if radius is None else float(radius) for radius in stored])
    limits = np.array([complete_radius(unit_grid(unit), ROI(**unit["roi"])) for unit in units])
    return summarise_radii(radii, np.where(np.isnan(radii), np.nan, (radii >= limits).astype(float)))
