"""A result's aggregates: the unit mean and the studentized cluster-bootstrap interval over images."""

from __future__ import annotations

import math

import numpy as np
import pytest
from handmade_results import make_unit

from cem_bench.analysis.bootstrap import NO_UNIT, aggregate_units, image_ci, too_small
from cem_bench.analysis.cluster import MIN_IMAGES, ImageMean
from cem_bench.core.metrics.catalog import METRICS, SUPPORT

IMAGES, ROIS = 13, 9
SETTINGS = {"resamples": 2000, "seed": 0, "level": 0.95}


def names(images: int = IMAGES, rois: int = ROIS) -> list[str]:
    return [f"img{i:02d}" for i in range(images) for _ in range(rois)]


def image_effects(seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).gamma(2.0, 1.0, IMAGES)


def test_identical_rois_give_the_cluster_interval_of_the_image_means():
    effects = image_effects()
    ci = image_ci(names(), np.repeat(effects, ROIS).tolist(), **SETTINGS)
    low, high = ImageMean(effects, resamples=2000, seed=0).interval(0.95)
    assert (ci["low"], ci["high"]) == (round(low, 6), round(high, 6))
    assert ci["mean"] == round(effects.mean(), 6) and (ci["n_units"], ci["n_images"], ci["reason"]) == (117, 13, None)
    # nine copies of an image are one sample: the same interval as one ROI per image
    assert image_ci(names(rois=1), effects.tolist(), **SETTINGS) | {"n_units": 117} == ci


def test_roi_noise_never_narrows_the_interval_below_the_image_level():
    effects = image_effects()
    noise = np.random.default_rng(2).normal(0.0, 1.0, (IMAGES, ROIS))
    noise -= noise.mean(axis=1, keepdims=True)  # centred per image: image means stay the effects exactly
    clean = image_ci(names(), np.repeat(effects, ROIS).tolist(), **SETTINGS)
    noisy = image_ci(names(), (effects[:, None] + noise).ravel().tolist(), **SETTINGS)
    assert (noisy["low"], noisy["high"]) == pytest.approx((clean["low"], clean["high"]), abs=2e-6)
    # the rule it replaces: a percentile bootstrap over the 117 units as if independent, far narrower here
    units = (effects[:, None] + noise).ravel()
    draws = units[np.random.default_rng(0).integers(0, units.size, (2000, units.size))].mean(axis=1)
    old_low, old_high = np.quantile(draws, [0.025, 0.975])
    assert old_high - old_low < 0.6 * (noisy["high"] - noisy["low"])


def test_fewer_than_the_minimum_images_give_no_interval_and_say_why():
    ci = image_ci(names(images=3), np.arange(27.0).tolist(), **SETTINGS)
    assert ci == {"mean": 13.0, "low": None, "high": None, "n_units": 27, "n_images": 3,
                  "reason": "n too small: 3 images < 10"}
    assert too_small(MIN_IMAGES - 1) == f"n too small: {MIN_IMAGES - 1} images < {MIN_IMAGES}"
    assert image_ci(names(images=MIN_IMAGES, rois=1), np.arange(10.0).tolist(), **SETTINGS)["low"] is not None
    # images count only where a unit defines the metric: 10 images, one of them undefined throughout
    values = [None if name == "img00" else float(k) for k, name in enumerate(names(images=MIN_IMAGES, rois=2))]
    assert image_ci(names(images=MIN_IMAGES, rois=2), values, **SETTINGS)["reason"] == too_small(9)


def test_the_mean_stays_the_plain_mean_over_defined_units():
    images = ["a", "a", "a", "b"] + [f"c{k}" for k in range(10)]
    values = [1.0, 1.0, None, 5.0] + [2.0] * 10
    ci = image_ci(images, values, **SETTINGS)
    assert ci["mean"] == round(sum(v for v in values if v is not None) / 13, 6)
    assert (ci["n_units"], ci["n_images"]) == (13, 12)
    assert image_ci(["a", "b"], [None, float("nan")], **SETTINGS) == {
        "mean": None, "low": None, "high": None, "n_units": 0, "n_images": 0, "reason": NO_UNIT}


def test_constant_images_are_exact_and_seed_and_level_move_the_interval():
    constant = image_ci(names(rois=2), [2.5] * 26, **SETTINGS)
    assert (constant["low"], constant["mean"], constant["high"]) == (2.5, 2.5, 2.5)
    values = np.repeat(image_effects(), 2).tolist()
    base = image_ci(names(rois=2), values, **SETTINGS)
    assert image_ci(names(rois=2), values, **SETTINGS) == base
    assert image_ci(names(rois=2), values, **SETTINGS | {"seed": 3}) != base
    narrow = image_ci(names(rois=2), values, **SETTINGS | {"level": 0.5})
    assert base["low"] < narrow["low"] < narrow["high"] < base["high"]


def test_aggregates_cover_every_metric_and_resample_images_jointly():
    units = [make_unit("box-blur-3", "dn-s50", f"i{k}", psnr_roi=v, psnr_gain=2 * v)
             for k, v in enumerate([1.0, 5.0, 2.0, 8.0, 3.0, 4.0, 0.5, 6.0, 7.0, 2.5, 1.5])]
    aggregates = aggregate_units(units, **SETTINGS)
    roi, gain = aggregates["psnr_roi"], aggregates["psnr_gain"]
    assert list(aggregates) == list(METRICS)
    assert (gain["low"], gain["mean"], gain["high"]) == pytest.approx((2 * roi["low"], 2 * roi["mean"], 2 * roi["high"]))
    assert aggregates["causal_radius"]["reason"] == NO_UNIT  # null in every hand-made unit


def test_an_interval_is_cut_to_the_values_its_metric_can_take():
    # a count that is 0 on 12 of 13 images: the bootstrap-t interval reaches below 0, where no mean can lie
    values = [0.0] * (IMAGES - 1) + [6.0]
    free = image_ci(names(rois=1), values, **SETTINGS)
    cut = image_ci(names(rois=1), values, **SETTINGS, support=(0.0, math.inf))
    assert free["low"] < 0.0 and cut["low"] == 0.0
    assert (cut["mean"], cut["high"]) == (free["mean"], free["high"])
    # the same from the upper end (a fraction near 1), and every count-like metric carries its support
    fractions = [1.0 - v / 6.0 for v in values]
    assert image_ci(names(rois=1), fractions, **SETTINGS)["high"] > 1.0
    mirrored = image_ci(names(rois=1), fractions, **SETTINGS, support=(0.0, 1.0))
    assert mirrored["high"] == 1.0 and mirrored["low"] <= mirrored["mean"] < 1.0
    units = [make_unit("box-blur-3", "dn-s50", f"i{k}", negative=v) for k, v in enumerate(values)]
    assert aggregate_units(units, **SETTINGS)["negative"]["low"] == 0.0
    assert {name for name, (low, high) in SUPPORT.items() if low == 0.0} >= {
        "positive", "negative", "zero", "effect_range", "negative_fraction", "causal_radius", "diffusion_index"}


def test_a_side_the_images_cannot_bound_is_null_and_says_why():
    # a radius of 0 on 12 of 13 images: 35 % of the resamples draw zeros only (infinite pivots), so no finite
    # upper limit holds its 97.5 %; JSON has no infinity, the side is null and the reason names it
    values = [0.0] * (IMAGES - 1) + [6.0]
    ci = image_ci(names(rois=1), values, **SETTINGS, support=(0.0, math.inf))
    assert ci["low"] == 0.0 and ci["high"] is None
    assert ci["reason"].startswith("no upper limit: ")
    assert image_ci(names(rois=1), values, **SETTINGS, support=(0.0, 12.0))["high"] == 12.0  # a finite support cuts it
    mirrored = image_ci(names(rois=1), [-v for v in values], **SETTINGS)
    assert mirrored["low"] is None and mirrored["high"] == -image_ci(names(rois=1), values, **SETTINGS)["low"] and mirrored["reason"].startswith("no lower limit: ")
