"""The image as the sampling unit: coverage of the studentized cluster bootstrap at the standard suite's n.

The simulation is seeded (a fixed outcome) and small (a few seconds). Each design draws 13 images with 9
ROIs each, as the standard suite has, with an image-level effect shared by the image's ROIs; the interval
is built from the image means, as every findings statistic is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cem_bench.analysis.cluster import MIN_IMAGES, ImageMean, image_mean, image_means

IMAGES, ROIS, REPLICATIONS = 13, 9, 2000  # Monte-Carlo error of a coverage near 95 %: about 0.5 points
DESIGNS = {  # name: (draw [images, ROIs], true mean)
    "normal images, lognormal ROIs": (lambda rng: rng.normal(0, 1, (IMAGES, 1)) + rng.lognormal(0, 1, (IMAGES, ROIS)),
                                      float(np.exp(0.5))),
    "gamma(2) images, normal ROIs": (lambda rng: rng.gamma(2, 1, (IMAGES, 1)) + rng.normal(0, 1, (IMAGES, ROIS)),
                                     2.0),
    "flags: Bernoulli ROIs, beta images": (lambda rng: (rng.random((IMAGES, ROIS)) < rng.beta(2, 5, (IMAGES, 1)))
                                           .astype(float), 2 / 7),
    "exponential images, exponential ROIs": (lambda rng: rng.exponential(1, (IMAGES, 1)) + rng.exponential(1, (IMAGES, ROIS)),
                                             2.0),
    # most images never raise the flag: resamples of all-zero images have se* = 0 and an infinite pivot
    "rare flags: Bernoulli ROIs, beta(1, 19) images": (
        lambda rng: (rng.random((IMAGES, ROIS)) < rng.beta(1, 19, (IMAGES, 1))).astype(float), 0.05),
}
# Where the interval is known to undercover (docs/findings.md, "Known limits of the interval"): heavy right
# skew. Measured, not hidden: the test below fails when that changes.
HEAVY_SKEW = (lambda rng: rng.lognormal(0, 1, (IMAGES, 1)) + rng.normal(0, 1, (IMAGES, ROIS)), float(np.exp(0.5)))


def percentile_interval(values: np.ndarray, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """The rule the stored aggregates used before: a percentile bootstrap of the values as independent units."""
    means = values[np.random.default_rng(seed).integers(0, values.size, (resamples, values.size))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)


def coverage(draw, truth: float, interval, replications: int = REPLICATIONS, seed: int = 5) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(replications):
        low, high = interval(draw(rng))
        hits += low <= truth <= high
    return hits / replications


def cluster_interval(units: np.ndarray) -> tuple[float, float]:
    return ImageMean(units.mean(axis=1)).interval()


# The exponential design is borderline: 92.8-94.0 % depending on the simulation's seed (Monte-Carlo error
# about 0.6 points), so it is held to 92 % and named as borderline in docs/findings.md.
FLOOR = {"exponential images, exponential ROIs": 0.92}


@pytest.mark.parametrize("design", list(DESIGNS))
def test_cluster_bootstrap_covers_at_least_93_percent_at_13_images(design):
    draw, truth = DESIGNS[design]
    assert coverage(draw, truth, cluster_interval) >= FLOOR.get(design, 0.93)


@pytest.mark.parametrize("design", list(DESIGNS))
def test_cluster_bootstrap_covers_at_least_93_percent_at_the_minimum_of_10_images(design):
    draw, truth = DESIGNS[design]
    ten = lambda rng: draw(rng)[:MIN_IMAGES]  # noqa: E731
    assert coverage(ten, truth, cluster_interval) >= FLOOR.get(design, 0.93)


def upper_misses(draw, truth: float, replications: int = REPLICATIONS, seed: int = 5) -> float:
    """How often the interval's upper limit lies below the truth (nominal 2.5 %)."""
    rng = np.random.default_rng(seed)
    return sum(cluster_interval(draw(rng))[1] < truth for _ in range(replications)) / replications


def test_known_limit_heavy_skew_pushes_the_upper_limit_below_the_truth():
    """Documented undercoverage: on lognormal(0, 1) image effects the upper limit misses far more often
    than 2.5 % (benchmarks/interval_coverage.py: 7.3 %, coverage 91.9 %). When the interval is mended this
    test fails and the docs' table must be measured again."""
    assert upper_misses(*HEAVY_SKEW) >= 0.06


def test_the_rare_flag_design_fails_when_single_value_resamples_are_left_out(monkeypatch):
    """The check of the rare-flag design can fail: with the pivots of se* = 0 resamples left out (the rule
    before 2026-12-02) its upper limit missed the truth in about 10 % of samples."""
    def finite_pivots(self: ImageMean) -> np.ndarray:
        draws = self.values[np.random.default_rng(self.seed).integers(0, self.n, (self.resamples, self.n))]
        spread = draws.std(axis=1, ddof=1) / np.sqrt(self.n)
        keep = spread > 0
        return np.sort((draws.mean(axis=1)[keep] - self.mean) / spread[keep])

    monkeypatch.setattr(ImageMean, "pivots", property(finite_pivots))
    draw, truth = DESIGNS["rare flags: Bernoulli ROIs, beta(1, 19) images"]
    assert upper_misses(draw, truth, replications=500) >= 0.06


def test_a_resample_of_one_value_gets_an_infinite_pivot_and_can_open_the_interval():
    values = np.zeros(IMAGES)
    values[:2] = [0.4, 0.2]  # 11 of 13 images equal: (11/13)**13 = 11 % of the resamples draw zeros only
    est = ImageMean(values)
    assert np.isneginf(est.pivots).mean() == pytest.approx((11 / 13) ** 13, abs=0.015)
    assert not np.isnan(est.pivots).any()
    low, high = est.interval()
    assert np.isinf(high) and low < est.mean
    assert ImageMean(values, support=(0.0, 1.0)).interval() == (max(low, 0.0), 1.0)  # a rate is cut to [0, 1]
    assert est.p_above(0.0) < 0.05 and est.p_below(0.5) > 0.05  # counts include the infinite pivots


def test_the_old_percentile_bootstrap_over_3_units_undercovers():
    """The check above can fail: the intervals the findings used before (percentile bootstrap over 3 units)
    cover far less than 93% even on normal data."""
    def old(units: np.ndarray) -> tuple[float, float]:
        return percentile_interval(units[:3, 0])

    normal = lambda rng: rng.normal(0, 1, (IMAGES, ROIS))  # noqa: E731
    assert coverage(normal, 0.0, old, replications=300) < 0.85


def test_rois_are_not_independent_samples():
    """Nine identical ROIs per image give the interval of one value per image: ROIs do not narrow it."""
    values = np.random.default_rng(0).normal(size=IMAGES)
    one = pd.DataFrame({"image": [f"i{k:02d}" for k in range(IMAGES)], "v": values})
    nine = pd.concat([one] * ROIS, ignore_index=True)
    assert image_mean(nine, "v").n == IMAGES
    assert image_mean(nine, "v").interval() == pytest.approx(image_mean(one, "v").interval())
    # pooling the units as if independent (the old way) would have given a far narrower interval
    pooled_low, pooled_high = percentile_interval(nine["v"].to_numpy())
    low, high = image_mean(nine, "v").interval()
    assert pooled_high - pooled_low < 0.5 * (high - low)


def test_image_means_leave_out_undefined_units_and_empty_images():
    frame = pd.DataFrame({"image": ["a", "a", "b", "c"], "v": [1.0, np.nan, 3.0, np.nan]})
    assert image_means(frame, "v").to_dict() == {"a": 1.0, "b": 3.0}


def test_too_few_images_give_no_interval_or_test():
    small = ImageMean(np.arange(MIN_IMAGES - 1, dtype=float))
    assert not small.enough
    assert all(np.isnan(v) for v in (*small.interval(), small.p_above(0.0), small.detectable(0.05)))
    assert ImageMean(np.arange(MIN_IMAGES, dtype=float)).enough


def test_tests_and_power_follow_the_pivots():
    est = ImageMean(np.random.default_rng(2).normal(1.0, 1.0, IMAGES))
    low, high = est.interval()
    # a bound just outside the 95% interval is rejected one-sided at 2.5%, one just inside is not
    assert est.p_above(low - 1e-9) <= 0.025 + 1 / est.resamples < est.p_above(low + 0.05)
    assert est.p_below(high + 1e-9) <= 0.025 + 1 / est.resamples < est.p_below(high - 0.05)
    # a larger sample of the same spread detects smaller effects
    assert est.detectable(0.05) > 0 and ImageMean(np.tile(est.values, 4)).detectable(0.05) < est.detectable(0.05)
    assert est.equivalence_margin(0.05) > est.se


def test_power_of_a_lower_tail_test_uses_the_lower_tail():
    # skewed image values: the two tails of the pivots differ, so a test "below" has its own detectable size
    values = np.random.default_rng(4).exponential(1.0, IMAGES)
    est, mirrored = ImageMean(values), ImageMean(-values)  # same resamples: mirrored pivots are the negated ones
    assert mirrored.detectable(0.0167, side="below") == pytest.approx(est.detectable(0.0167, side="above"), rel=1e-12)
    assert est.detectable(0.0167, side="below") != pytest.approx(est.detectable(0.0167, side="above"), rel=1e-3)
    # with the true mean that far below the bound, the observed pivot falls under the test's critical value
    # t*(alpha) in 80% of the pivot distribution (se held fixed): power 80% by construction
    shift = est.detectable(0.0167, side="below")
    assert np.mean(est.pivots - shift / est.se <= est._quantile(0.0167)) == pytest.approx(0.8, abs=2e-3)
    with pytest.raises(ValueError, match="side"):
        est.detectable(0.05, side="two-sided")


def test_constant_image_values_are_exact():
    est = ImageMean(np.full(IMAGES, 2.0))
    assert est.interval() == (2.0, 2.0)
    assert est.p_above(1.0) == 0.0 and est.p_above(2.0) == 1.0 and est.p_below(3.0) == 0.0


def test_table_cells_draw_like_the_result_files_so_both_pages_agree():
    """A cell on both the leaderboard (stored aggregates) and the findings report (recomputed from units)
    must be the same number: the report's cells use the suites' own bootstrap resamples."""
    from cem_bench.analysis.cluster import TABLE_RESAMPLES
    from cem_bench.pipeline.suites import builtin_suites, load_suite

    assert {load_suite(name).bootstrap.resamples for name in builtin_suites()} == {TABLE_RESAMPLES}
