"""Per-block significance from a stored map (CE, standard error, samples): BH counts, the distant-harm flag,
censored radii."""

from __future__ import annotations

import numpy as np
import pytest

from cem_bench.analysis.significance import (
    block_pvalues,
    distant_harm,
    map_significance,
    significant,
    significant_map,
)
from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.core.metrics.causal_radius import block_distances

SAMPLES = 50


def noisy_map(rng: np.random.Generator, effects: np.ndarray, se: float = 0.01) -> tuple[np.ndarray, ...]:
    """A map whose blocks' CE are their true ``effects`` plus Monte-Carlo error of standard error ``se``."""
    ce = effects + rng.normal(0, se, effects.shape)
    return ce, np.full(effects.shape, se), np.full(effects.shape, SAMPLES)


def test_a_block_within_its_error_is_not_counted():
    ce = np.array([[np.nan, 0.03, -0.03, 0.5]])
    se = np.array([[np.nan, 0.02, 0.02, 0.02]])  # |CE| < 1.96 SE for the middle two
    n = np.array([[0, SAMPLES, SAMPLES, SAMPLES]])
    assert significant(ce, se, n).tolist() == [[False, False, False, True]]
    assert significant_map(ce, se, n)[0, 1:].tolist() == [0.0, 0.0, 0.5]


def test_bh_keeps_the_false_discovery_rate_of_a_map_near_q():
    rng = np.random.default_rng(0)
    effects = np.zeros((32, 32))
    effects[:4, :25] = rng.choice([-1, 1], (4, 25)) * rng.uniform(0.03, 0.2, (4, 25))  # 100 real effects
    shares = []
    for _ in range(40):
        ce, se, n = noisy_map(rng, effects)
        found = significant(ce, se, n)
        shares.append((found & (effects == 0)).sum() / max(found.sum(), 1))
    assert np.mean(shares) <= 0.05 * 1.5  # BH: expected share of false blocks <= q (here q * 924/1024)
    assert np.mean(shares) > 0  # and the test is not trivially empty


def test_exactly_zero_blocks_are_no_hypotheses():
    """A block whose samples never moved the ROI (or one screened out) does not change the others' verdicts:
    the same map with and without screening counts the same blocks."""
    rng = np.random.default_rng(1)
    effects = np.zeros((8, 8))
    effects[0, :6] = [0.05, 0.04, 0.03, -0.03, 0.025, 0.02]
    ce, se, n = noisy_map(rng, effects)
    screened = ce.copy(), se.copy(), n.copy()
    ce[4:], se[4:], n[4:] = 0.0, 0.0, 3  # sampled, never moved: exact zeros
    screened[0][4:], screened[1][4:], screened[2][4:] = 0.0, np.nan, 0  # screened out
    assert np.isnan(block_pvalues(ce, se, n)[4:]).all()
    assert (significant(ce, se, n) == significant(*screened)).all()


def test_distant_harm_is_a_family_wise_flag():
    grid, roi = BlockGrid(256, 256, 8), ROI(112, 112, 32)
    distance = block_distances(grid, roi)
    rng = np.random.default_rng(2)
    near_help = np.where(distance < 16, 0.3, 0.0)  # strong effects near the ROI only
    near_help[roi.y // 8:(roi.y + roi.size) // 8, roi.x // 8:(roi.x + roi.size) // 8] = np.nan
    flags = [distant_harm(*noisy_map(rng, near_help), distance) for _ in range(200)]
    assert np.mean(flags) <= 0.05  # no harmful distant block: flagged at most 5% of the time
    harm = near_help.copy()
    harm[0, 0] = -0.08  # one harmful block far away, 8 standard errors
    assert distant_harm(*noisy_map(rng, harm), distance)
    near_harm = near_help.copy()
    near_harm[distance == 8] = -0.3  # harm close to the ROI does not count as distant
    assert not distant_harm(*noisy_map(rng, near_harm, se=1e-6), distance)


def quick_map(ring: int) -> np.ndarray:
    """A 64x64 map with a 16-px central ROI and all its effect on one ring (0, 8 or 16 px out)."""
    grid, roi = BlockGrid(64, 64, 8), ROI(24, 24, 16)
    distance = block_distances(grid, roi)
    ce = np.where(distance == ring, 0.5, 0.0)
    ce[3:5, 3:5] = np.nan
    return ce


@pytest.mark.parametrize("ring, censored", [(0, 0.0), (8, 0.0), (16, 1.0)])
def test_a_radius_at_the_image_edge_is_censored(ring, censored):
    ce = quick_map(ring)
    stats = map_significance(ce, np.where(np.isnan(ce), np.nan, 0.01), np.full(ce.shape, SAMPLES),
                             ROI(24, 24, 16), BlockGrid(64, 64, 8))
    assert stats["radius_limit"] == 16.0
    assert stats["sig_causal_radius"] == ring
    assert stats["radius_censored"] == stats["sig_radius_censored"] == censored


def test_map_significance_numbers():
    grid, roi = BlockGrid(56, 56, 8), ROI(24, 24, 8)  # rings at 0, 8 and 16 px (the edge)
    ce = np.zeros((7, 7))
    ce[3, 3] = np.nan
    ce[2, 3], ce[3, 1], ce[0, 0], ce[6, 3] = 0.5, 0.2, -0.4, -0.3  # rings 0, 8, 16, 16
    ce[3, 4], ce[6, 6] = 0.01, -0.02  # within their error
    se = np.where(np.isnan(ce), np.nan, 0.02)
    stats = map_significance(ce, se, np.full(ce.shape, SAMPLES), roi, grid)
    assert (stats["sig_positive"], stats["sig_negative"], stats["sig_nonzero"]) == (2, 2, 4)
    assert stats["sig_negative_fraction"] == 0.5 and stats["sig_effect_range"] == pytest.approx(0.9)
    assert stats["distant_harm"] == 1.0 and stats["distant_negative_mass"] == pytest.approx(0.7)
    # half the significant mass lies on the edge ring: the radius is the image's limit, censored
    assert stats["radius_limit"] == 16.0 and stats["sig_causal_radius"] == 16.0 and stats["sig_radius_censored"] == 1.0
    empty = map_significance(np.where(np.isnan(ce), np.nan, 0.0), se, np.full(ce.shape, SAMPLES), roi, grid)
    assert empty["sig_nonzero"] == 0 and np.isnan(empty["sig_diffusion_index"]) and np.isnan(empty["sig_radius_censored"])


def test_censored_radii_are_never_averaged():
    from cem_bench.analysis.radius import summarise_radii

    # three quick-suite maps: 0, 8 and "16" (the edge): the old mean 8.0 hid that one value is only ">= 16"
    summary = summarise_radii([0.0, 8.0, 16.0], [0.0, 0.0, 1.0])
    assert (summary.median, summary.lower_bound, summary.censored, summary.n) == (8.0, False, 1, 3)
    # most maps reach the edge: the median itself is only a bound
    assert summarise_radii([16.0, 16.0, 8.0, np.nan], [1.0, 1.0, 0.0, np.nan]).text() == "≥ 16 px (2/3 at the image edge)"
    assert summarise_radii([], []).text() == "–"
