"""Gini coefficient and LAM's Diffusion Index, ``DI = (1 - Gini) * 100``, of any non-negative map.

The same function scores a LAM attribution map (per pixel) and a causal effect map (per block, on
``|CE|`` with ROI blocks excluded), so the two methods are compared on one definition. Unlike the
LAM reference code, no epsilon is added: an all-zero map has no defined Gini and gives NaN.
"""

from __future__ import annotations

import numpy as np


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (NaN ignored): 0 = all equal, (n-1)/n = one non-zero.

    >>> gini(np.ones(4))
    0.0
    >>> gini(np.array([0.0, 0.0, 0.0, 2.0]))
    0.75
    >>> gini(np.zeros(3))
    nan
    """
    flat = np.asarray(values, dtype=np.float64).ravel()
    flat = np.sort(flat[~np.isnan(flat)])
    if flat.size and flat[0] < 0:
        raise ValueError("gini needs non-negative values; pass |map|")
    total = flat.sum()
    if flat.size == 0 or total == 0:
        return float("nan")
    n = flat.size
    rank = np.arange(1, n + 1)
    return float(np.sum((2 * rank - n - 1) * flat) / (n * total))


def diffusion_index(attribution: np.ndarray) -> float:
    """LAM's Diffusion Index of ``|attribution|`` in [0, 100]: higher = effect spread over more input.

    >>> diffusion_index(np.full((4, 4), 0.3))
    100.0
    >>> round(diffusion_index(np.eye(1, 100).reshape(10, 10)), 2)
    1.0
    >>> diffusion_index(np.array([[np.nan, -1.0], [1.0, 1.0]]))
    100.0
    """
    return (1.0 - gini(np.abs(np.asarray(attribution, dtype=np.float64)))) * 100.0
