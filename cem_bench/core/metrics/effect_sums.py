"""Total helping and total hurting effect of a causal effect map."""

from __future__ import annotations

import numpy as np


def effect_sums(ce: np.ndarray) -> dict[str, float]:
    """Sum of the positive CE values and sum of the negative ones (dB), ROI (NaN) blocks excluded.

    ``negative`` is reported as a sum, so it is ``<= 0``; ``positive + negative`` is the map's net effect.

    >>> effect_sums(np.array([[0.5, -0.25], [0.0, np.nan], [1.0, -0.5]]))
    {'positive': 1.5, 'negative': -0.75}
    >>> effect_sums(np.array([[np.nan, 0.0]]))
    {'positive': 0.0, 'negative': 0.0}
    """
    valid = ce[~np.isnan(ce)]
    return {"positive": float(valid[valid > 0].sum()), "negative": float(valid[valid < 0].sum())}
