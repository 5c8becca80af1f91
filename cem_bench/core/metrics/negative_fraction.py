"""How much of a map's non-zero effect is harmful: the fraction of non-zero blocks that are negative."""

from __future__ import annotations

import numpy as np


def negative_fraction(ce: np.ndarray) -> float:
    """``negative / (positive + negative)`` block counts, ROI (NaN) and zero blocks excluded.

    NaN when no block has a non-zero effect (the fraction is undefined, not 0).

    >>> negative_fraction(np.array([[0.5, -0.2], [0.0, np.nan], [-1.0, 0.1]]))
    0.5
    >>> negative_fraction(np.array([[0.0, np.nan]]))
    nan
    """
    valid = ce[~np.isnan(ce)]
    nonzero = int((valid != 0).sum())
    if nonzero == 0:
        return float("nan")
    return int((valid < 0).sum()) / nonzero
