"""Which blocks of a causal effect map differ from 0 beyond their Monte-Carlo error, from the stored map.

A block's CE is the mean of ``n`` sampled PSNR differences and its record stores the standard error of
that mean (``stderr``) and ``n`` (``n_samples``); the protocol's raw counts only ask ``|CE| ≥ tol``.
Here a block is *tested* when it was sampled (``n ≥ 2``) and its samples varied or its CE is not 0 (a
block whose every sample left the ROI unchanged is an exact 0, like a screened one, and is no hypothesis).
Its two-sided p-value is Student's t with ``n − 1`` degrees of freedom on ``CE / stderr`` (1 for a CE the
protocol already set to 0).

**Multiplicity rule: Benjamini–Hochberg over the map's tested blocks at q = 5 %.** A block is
*significantly* positive / negative when BH rejects it and its CE is not 0. BH controls the false
discovery rate, the expected share of wrongly counted blocks among those counted, which is what a block
count needs; Bonferroni (family-wise error) over ~1,000 blocks would ask ``|t| > 3.9`` and drop many real
small effects, biasing every count down. Blocks are sampled with their own seeded generators, so their
p-values are independent, as BH requires. The significant map (other blocks set to 0) gives the
significant counts, negative fraction, diffusion index, effect range and causal radius beside the raw ones.

Finding 1 asks another question, "does this map have *any* harmful block far from the ROI?", and an
"any" needs family-wise control: :func:`distant_harm` tests the blocks at least :data:`DISTANT_PX` output
pixels from the ROI one-sided for a negative effect, Bonferroni over them at 5 %, so a map without any
harmful distant block is flagged with probability at most 5 %.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.core.metrics import causal_radius, diffusion_index, effect_range, negative_fraction
from cem_bench.core.metrics.causal_radius import block_distances, complete_radius

Q = 0.05  # BH false discovery rate per map
DISTANT_PX = 16  # finding 1: "distant" blocks are at least this far from the ROI (output pixels)
DISTANT_ALPHA = 0.05  # finding 1: family-wise level of a map's distant-harm flag (Bonferroni)

# Columns that :func:`map_significance` adds to each unit (``cem_bench.analysis.findings.data``).
COLUMNS = ("sig_positive", "sig_negative", "sig_nonzero", "sig_negative_fraction", "sig_diffusion_index",
           "sig_effect_range", "sig_causal_radius", "radius_limit", "radius_censored", "sig_radius_censored", "distant_harm",
           "distant_negative_mass")


def hypotheses(ce: np.ndarray, stderr: np.ndarray, n_samples: np.ndarray) -> np.ndarray:
    """Boolean map of the blocks that are hypotheses (see the module docstring)."""
    with np.errstate(invalid="ignore"):
        sampled = ~np.isnan(ce) & (n_samples >= 2) & np.isfinite(stderr)
        return sampled & ((stderr > 0) | (ce != 0))


def block_pvalues(ce: np.ndarray, stderr: np.ndarray, n_samples: np.ndarray) -> np.ndarray:
    """Two-sided p-value of each tested block (NaN elsewhere).

    >>> ce = np.array([[np.nan, 0.5, 0.0, 0.02]])
    >>> p = block_pvalues(ce, np.array([[np.nan, 0.1, 0.01, 0.0]]), np.array([[0, 50, 3, 50]]))
    >>> [round(float(v), 6) for v in p[0, 1:]]
    [8e-06, 1.0, 0.0]
    """
    p = np.full(ce.shape, np.nan)
    keep = hypotheses(ce, stderr, n_samples)
    effect, error, df = ce[keep], stderr[keep], n_samples[keep] - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(error > 0, np.abs(effect) / np.where(error > 0, error, 1.0), np.inf)
    p[keep] = np.where(effect == 0, 1.0, 2 * stats.t.sf(t, df))
    return p


def significant(ce: np.ndarray, stderr: np.ndarray, n_samples: np.ndarray, q: float = Q) -> np.ndarray:
    """Boolean map: blocks that BH at ``q`` rejects over the map's tested blocks and whose CE is not 0."""
    p = block_pvalues(ce, stderr, n_samples)
    keep = ~np.isnan(p)
    out = np.zeros(ce.shape, dtype=bool)
    if keep.any():
        adjusted = stats.false_discovery_control(p[keep], method="bh")
        out[keep] = (adjusted <= q) & (ce[keep] != 0)
    return out


def significant_map(ce: np.ndarray, stderr: np.ndarray, n_samples: np.ndarray, q: float = Q) -> np.ndarray:
    """``ce`` with every block that is not significant set to 0 (ROI blocks stay NaN).

    >>> ce = np.array([[np.nan, 0.5, -0.02, 0.0]])
    >>> significant_map(ce, np.array([[np.nan, 0.1, 0.05, 0.0]]), np.array([[0, 50, 50, 3]])).tolist()
    [[nan, 0.5, 0.0, 0.0]]
    """
    keep = significant(ce, stderr, n_samples, q)
    return np.where(np.isnan(ce), np.nan, np.where(keep, ce, 0.0))


def distant_harm(ce: np.ndarray, stderr: np.ndarray, n_samples: np.ndarray, distance: np.ndarray,
                 min_distance: float = DISTANT_PX, alpha: float = DISTANT_ALPHA) -> bool:
    """Whether any block at least ``min_distance`` from the ROI is significantly negative: one-sided t
    test per tested distant block, Bonferroni over them at ``alpha`` (blocks with CE 0 cannot be flagged).

    >>> d = np.array([[0.0, 16.0, 24.0]])
    >>> distant_harm(np.array([[np.nan, -0.5, 0.1]]), np.array([[np.nan, 0.05, 0.05]]), np.array([[0, 50, 50]]), d)
    True
    >>> distant_harm(np.array([[-0.5, 0.0, 0.1]]), np.array([[0.05, 0.01, 0.05]]), np.array([[50, 50, 50]]), d)
    False
    """
    family = hypotheses(ce, stderr, n_samples) & (distance >= min_distance)
    if not family.any():
        return False
    effect, error, df = ce[family], stderr[family], n_samples[family] - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(error > 0, effect / np.where(error > 0, error, 1.0), np.sign(effect) * np.inf)
    p = np.where(effect < 0, stats.t.cdf(t, df), 1.0)  # small when the block reliably hurts the ROI
    return bool((p * family.sum() <= alpha).any())


def map_significance(ce: np.ndarray, stderr: np.ndarray, n_samples: np.ndarray, roi: ROI,
                     grid: BlockGrid) -> dict[str, float]:
    """The significant-block metrics of one unit (:data:`COLUMNS`), NaN where undefined.

    ``radius_limit`` is :func:`~cem_bench.core.metrics.causal_radius.complete_radius`; a radius at or
    beyond it is censored by the image edge (``radius_censored`` for the raw map's radius,
    ``sig_radius_censored`` for the significant map's; 1.0 / 0.0, NaN when the radius is undefined).
    """
    sig = significant_map(ce, stderr, n_samples)
    distance = block_distances(grid, roi)
    limit = complete_radius(grid, roi)
    raw_radius, sig_radius = causal_radius(ce, roi, grid), causal_radius(sig, roi, grid)
    positive, negative = int((sig > 0).sum()), int((sig < 0).sum())
    far_negative = (sig < 0) & (distance >= DISTANT_PX)
    return {
        "sig_positive": positive, "sig_negative": negative, "sig_nonzero": positive + negative,
        "sig_negative_fraction": negative_fraction(sig), "sig_diffusion_index": diffusion_index(sig),
        "sig_effect_range": float(effect_range(sig)["range"]),
        "sig_causal_radius": sig_radius, "radius_limit": limit,
        "radius_censored": _censored(raw_radius, limit), "sig_radius_censored": _censored(sig_radius, limit),
        "distant_harm": float(distant_harm(ce, stderr, n_samples, distance)),
        "distant_negative_mass": float(-sig[far_negative].sum()),
    }


def _censored(radius: float, limit: float) -> float:
    return float("nan") if np.isnan(radius) else float(radius >= limit)
