"""Positive / negative / zero block counts of a causal effect map."""

from __future__ import annotations

import numpy as np


def effect_counts(ce: np.ndarray) -> dict[str, int]:
    """Count blocks with positive, negative and exactly-zero CE; NaN (ROI) blocks are excluded.

    >>> effect_counts(np.array([[0.5, -0.2], [0.0, np.nan]]))
    {'positive': 1, 'negative': 1, 'zero': 1}
    """
    valid = ce[~np.isnan(ce)]
    return {
        "positive": int((valid > 0).sum()),
        "negative": int((valid < 0).sum()),
        "zero": int((valid == 0).sum()),
    }
