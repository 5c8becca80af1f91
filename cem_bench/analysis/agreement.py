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

RESAMPLES, SEED, LEVEL = 2000, 0, 0.95
MIN_MODELS = 4  # fewer models give no usable rank correlation


def spearman_ci(x: np.ndarray, y: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED,
                level: float = LEVEL) -> tuple[float, float, float]:
    """Spearman's rho of paired values and its bootstrap CI over pairs (NaN where undefined).

    >>> rho, low, high = spearman_ci(np.arange(6.0), np.arange(6.0) ** 2)
    >>> round(rho, 6), round(low, 6), round(high, 6)
    (1.0, 1.0, 1.0)
    """
    def rho(a: np.ndarray, b: np.ndarray) -> float:
        value = pd.Series(a).corr(pd.Series(b), method="spearman")
        return float("nan") if pd.isna(value) else float(value)

    rng = np.random.default_rng(seed)
    draws = [rho(x[index], y[index]) for index in rng.integers(0, len(x), size=(resamples, len(x)))]
    draws = np.array([d for d in draws if not np.isnan(d)])
    if not len(draws):
        return rho(x, y), float("nan"), float("nan")
    low, high = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return rho(x, y), float(low), float(high)


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
