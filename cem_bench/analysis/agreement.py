"""Do LAM and CEM agree about "using more input goes with better SR"? Computed, never hand-written.

Over the models of one SR task, Spearman's rank correlation of each method's diffusion index (LAM DI
on the attribution map; CEM's DI on |CE|) with the mean ROI PSNR gain, with a percentile-bootstrap CI
that resamples models (seeded). Pre-registered verdict per method: ``positive`` / ``negative`` when
the 95% CI excludes 0, else ``inconclusive``; the two methods ``agree`` when both verdicts are the
same definite sign, ``disagree`` when they are opposite definite signs, else ``inconclusive``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

RESAMPLES, SEED, LEVEL = 2000, 0, 0.95
MIN_MODELS = 4  # fewer models give no usable rank correlation


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row pair of ``x`` and ``y`` (``[..., n]``): Pearson's r of average ranks,
    NaN where a row is constant (a resample that drew one model only).

    >>> spearman_rows(np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]), np.array([[3.0, 2.0, 1.0], [1.0, 2.0, 3.0]]))
    array([-1., nan])
    """
    rank_x = rankdata(x, axis=-1)
    rank_y = rankdata(y, axis=-1)
    rank_x -= rank_x.mean(axis=-1, keepdims=True)
    rank_y -= rank_y.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rank_x * rank_y).sum(axis=-1) / np.sqrt((rank_x**2).sum(axis=-1) * (rank_y**2).sum(axis=-1))


def spearman_ci(x: np.ndarray, y: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED,
                level: float = LEVEL) -> tuple[float, float, float]:
    """Spearman's rho of paired values and its percentile-bootstrap CI over pairs (NaN where undefined).

    All resamples are ranked at once (vectorised); resamples whose rho is undefined are left out.

    >>> rho, low, high = spearman_ci(np.arange(6.0), np.arange(6.0) ** 2)
    >>> round(rho, 6), round(low, 6), round(high, 6)
    (1.0, 1.0, 1.0)
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rho = float(spearman_rows(x, y))
    index = np.random.default_rng(seed).integers(0, len(x), size=(resamples, len(x)))
    draws = spearman_rows(x[index], y[index])
    draws = draws[~np.isnan(draws)]
    if not len(draws):
        return rho, float("nan"), float("nan")
    low, high = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return rho, float(low), float(high)


def verdict(low: float, high: float) -> str:
    """``positive`` / ``negative`` when the CI excludes 0, else ``inconclusive``.

    >>> verdict(0.1, 0.9), verdict(-0.9, -0.2), verdict(-0.1, 0.5)
    ('positive', 'negative', 'inconclusive')
    """
    if low > 0:
        return "positive"
    if high < 0:
        return "negative"
    return "inconclusive"


def agreement(lam: str, cem: str) -> str:
    """Whether two verdicts agree.

    >>> agreement("positive", "positive"), agreement("positive", "negative"), agreement("positive", "inconclusive")
    ('agree', 'disagree', 'inconclusive')
    """
    if "inconclusive" in (lam, cem):
        return "inconclusive"
    return "agree" if lam == cem else "disagree"


def compare(rows: pd.DataFrame) -> dict[str, object] | None:
    """The comparison for one task's rows (columns ``psnr_gain``, ``lam_di``, ``diffusion_index``: means)."""
    data = rows.dropna(subset=["psnr_gain", "lam_di", "diffusion_index"])
    if len(data) < MIN_MODELS:
        return None
    gain = data["psnr_gain"].to_numpy(float)
    out: dict[str, object] = {"models": len(data)}
    for method, column in (("lam", "lam_di"), ("cem", "diffusion_index")):
        rho, low, high = spearman_ci(data[column].to_numpy(float), gain)
        out[method] = {"rho": rho, "low": low, "high": high, "verdict": verdict(low, high)}
    out["agreement"] = agreement(out["lam"]["verdict"], out["cem"]["verdict"])
    return out
