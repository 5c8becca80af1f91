"""A result's aggregates: per metric the mean over its (image, ROI) units and an interval over its images.

The mean is the plain mean over the units that define the metric (null values left out), the number every
result file has stored since the first one. The interval takes the image as the sampling unit, as the
findings do (:mod:`cem_bench.analysis.cluster`): the metric is averaged over each image's units first, and
the n image means give the studentized cluster-bootstrap interval (a resample draws images, each with all
of its ROIs), drawn with the result's own ``resamples``, ``seed`` and ``level``. The ROIs of one image
share its content, so resampling them as independent units (the rule before this one) gave intervals
that were too narrow.

Below :data:`~cem_bench.analysis.cluster.MIN_IMAGES` images there is no interval: ``low`` and ``high``
are null and ``reason`` says why ("n too small: 3 images < 10").

The interval is one of the mean over images, each image weighted alike; it is the same quantity as the
stored mean whenever every image has the same number of units defining the metric (every metric of a
complete result, except where some maps leave a metric undefined: radius, negative fraction, DI of a map
without any effect).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cem_bench.analysis.cluster import MIN_IMAGES, ImageMean, image_means
from cem_bench.core.metrics.catalog import METRICS, STORED_DIGITS, SUPPORT, UNBOUNDED

METHOD = "studentized cluster"  # ``bootstrap.method`` of a result file
RESAMPLED = "images"  # ``bootstrap.resampled``: what one draw picks
NO_UNIT = "no unit defines it"
OPEN_LIMIT = "too many resamples draw images of one value (most images are equal)"
# The aggregate of a metric no unit defines (also what files written before a metric existed stand for).
UNDEFINED = {"mean": None, "low": None, "high": None, "n_units": 0, "n_images": 0, "reason": NO_UNIT}


def too_small(n_images: int, minimum: int = MIN_IMAGES) -> str:
    """The ``reason`` of an aggregate without an interval.

    >>> too_small(3)
    'n too small: 3 images < 10'
    """
    return f"n too small: {n_images} images < {minimum}"


def _stored(value: float) -> float:
    return round(float(value), STORED_DIGITS)


def image_ci(images: Sequence[str], values: Sequence[float | None], resamples: int, seed: int,
             level: float, minimum: int = MIN_IMAGES,
             support: tuple[float, float] = UNBOUNDED) -> dict[str, Any]:
    """``{mean, low, high, n_units, n_images, reason}`` of one metric: ``values[i]`` belongs to image
    ``images[i]``; None/NaN values are left out (an image without any defined value is not counted).

    The interval is cut to ``support``, the values the metric can take: a bootstrap-t interval may reach
    past them (a count near 0 with one outlying image), and the part outside cannot hold the mean, so the
    cut interval keeps the coverage. A side the images cannot bound (an infinite limit: most images share
    one value, e.g. a radius of 0 on 10 of 13 images) is null, and ``reason`` says so.

    >>> ci = image_ci(["a", "b", "c"], [1.0, 2.0, None], resamples=100, seed=0, level=0.95)
    >>> ci == {"mean": 1.5, "low": None, "high": None, "n_units": 2, "n_images": 2,
    ...        "reason": "n too small: 2 images < 10"}
    True
    >>> image_ci([], [], 100, 0, 0.95)["reason"]
    'no unit defines it'
    """
    numbers = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    finite = numbers[~np.isnan(numbers)]
    if finite.size == 0:
        return dict(UNDEFINED)
    per_image = image_means(pd.DataFrame({"image": list(images), "value": numbers}), "value").to_numpy()
    estimate = ImageMean(per_image, resamples=resamples, seed=seed, minimum=minimum, support=support)
    ci: dict[str, Any] = {"mean": _stored(finite.mean()), "low": None, "high": None, "n_units": int(finite.size),
                          "n_images": estimate.n, "reason": None}
    if not estimate.enough:
        return ci | {"reason": too_small(estimate.n, minimum)}
    low, high = estimate.interval(level)
    open_sides = [side for side, limit in (("lower", low), ("upper", high)) if math.isinf(limit)]
    if open_sides:  # JSON has no infinity: the open side is null, and the reason says why
        ci["reason"] = f"no {' and no '.join(open_sides)} limit: {OPEN_LIMIT}"
    return ci | {"low": None if math.isinf(low) else _stored(low), "high": None if math.isinf(high) else _stored(high)}


def aggregate_units(units: Sequence[dict[str, Any]], resamples: int, seed: int, level: float) -> dict[str, Any]:
    """``{metric: image_ci(...)}`` over unit records (each with ``image.id`` and a ``metrics`` mapping), in
    metric order.

    The one rule for a result's aggregates: ``pipeline.aggregate.assemble`` writes them with it,
    ``analysis.consistency`` re-derives them with it and ``pipeline.aggregate.rewrite_aggregates`` rewrites
    older files with it.
    """
    images = [unit["image"]["id"] for unit in units]
    return {name: image_ci(images, [unit["metrics"].get(name) for unit in units], resamples, seed, level,
                           support=SUPPORT[name])
            for name in METRICS}
