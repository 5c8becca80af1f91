"""Effect range: the spread between the strongest helping and the strongest hurting block."""

from __future__ import annotations

import numpy as np


def effect_range(ce: np.ndarray) -> dict[str, object]:
    """``max - min`` of CE over non-ROI blocks (dB), with the ``[row, col]`` of each extreme.

    Ties are broken by the first block in row-major order.

    >>> effect_range(np.array([[0.5, -0.2], [0.0, np.nan]]))
    {'range': 0.7, 'max': 0.5, 'min': -0.2, 'argmax': [0, 0], 'argmin': [0, 1]}
    """
    if np.isnan(ce).all():
        return {"range": 0.0, "max": 0.0, "min": 0.0, "argmax": None, "argmin": None}
    filled_max = np.where(np.isnan(ce), -np.inf, ce)
    filled_min = np.where(np.isnan(ce), np.inf, ce)
    imax = np.unravel_index(int(np.argmax(filled_max)), ce.shape)
    imin = np.unravel_index(int(np.argmin(filled_min)), ce.shape)
    high, low = float(ce[imax]), float(ce[imin])
    return {
        "range": round(high - low, 12),
        "max": high,
        "min": low,
        "argmax": [int(imax[0]), int(imax[1])],
        "argmin": [int(imin[0]), int(imin[1])],
    }
