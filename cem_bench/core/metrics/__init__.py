"""Metrics of a causal effect map, one per module, and :func:`map_metrics` computing them all."""

from __future__ import annotations

import numpy as np

from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.core.metrics.causal_radius import causal_radius
from cem_bench.core.metrics.counts import effect_counts
from cem_bench.core.metrics.diffusion import diffusion_index, gini
from cem_bench.core.metrics.effect_range import effect_range
from cem_bench.core.metrics.effect_sums import effect_sums
from cem_bench.core.metrics.gain import input_psnr
from cem_bench.core.metrics.negative_fraction import negative_fraction
from cem_bench.core.metrics.psnr import roi_psnr


def map_metrics(ce: np.ndarray, roi: ROI, grid: BlockGrid) -> dict[str, float]:
    """Every per-map metric of one causal effect map (ROI blocks NaN), as a flat dict of numbers.

    Undefined values (no effect at all) are NaN; PSNR and gain need images and live beside this.

    >>> ce = np.array([[0.5, 0.0], [np.nan, -0.25]])
    >>> map_metrics(ce, ROI(0, 8, 8), BlockGrid(16, 16, 8))  # doctest: +NORMALIZE_WHITESPACE
    {'positive': 1, 'negative': 1, 'zero': 1, 'positive_sum': 0.5, 'negative_sum': -0.25,
     'effect_range': 0.75, 'negative_fraction': 0.5, 'causal_radius': 0.0, 'diffusion_index': 55.55555555555556}
    """
    counts, sums = effect_counts(ce), effect_sums(ce)
    return {
        "positive": counts["positive"],
        "negative": counts["negative"],
        "zero": counts["zero"],
        "positive_sum": sums["positive"],
        "negative_sum": sums["negative"],
        "effect_range": float(effect_range(ce)["range"]),
        "negative_fraction": negative_fraction(ce),
        "causal_radius": causal_radius(ce, roi, grid),
        "diffusion_index": diffusion_index(ce),
    }


__all__ = [
    "causal_radius", "diffusion_index", "effect_counts", "effect_range", "effect_sums", "gini", "input_psnr",
    "map_metrics", "negative_fraction", "roi_psnr",
]
