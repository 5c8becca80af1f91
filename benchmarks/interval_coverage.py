"""Coverage of the findings' 95 % interval at the standard suite's n, by simulation (docs/findings.md).

    python benchmarks/interval_coverage.py [--replications 2000] [--seed 5] [--images 13 10]

Each design draws images × 9 ROIs with an image-level effect shared by the image's ROIs, as the standard
suite's units are; every interval is built from the image means, as every findings statistic is. Prints a
Markdown table: the share of replications whose interval holds the true mean, for the studentized cluster
bootstrap cem-bench uses (:class:`cem_bench.analysis.cluster.ImageMean`, 4,999 resamples), Student's t on
the image means and the percentile bootstrap of the image means, and how often the bootstrap-t's upper limit
lies below the truth (nominal 2.5 %). Seeded: the same figures on every run. About 2 minutes on one core.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from scipy import stats

from cem_bench.analysis.cluster import ImageMean

ROIS = 9
Draw = Callable[[np.random.Generator, int], np.ndarray]  # (rng, images) -> values [images, ROIs]
DESIGNS: dict[str, tuple[Draw, float, tuple[float, float]]] = {  # name: (draw, true mean, support of the mean)
    "normal images + lognormal ROIs": (
        lambda rng, n: rng.normal(0, 1, (n, 1)) + rng.lognormal(0, 1, (n, ROIS)), float(np.exp(0.5)),
        (-np.inf, np.inf)),
    "gamma(2) images + normal ROIs": (
        lambda rng, n: rng.gamma(2, 1, (n, 1)) + rng.normal(0, 1, (n, ROIS)), 2.0, (-np.inf, np.inf)),
    "exponential images + exponential ROIs": (
        lambda rng, n: rng.exponential(1, (n, 1)) + rng.exponential(1, (n, ROIS)), 2.0, (0.0, np.inf)),
    "flags: Bernoulli ROIs, beta(2, 5) images": (
        lambda rng, n: (rng.random((n, ROIS)) < rng.beta(2, 5, (n, 1))).astype(float), 2 / 7, (0.0, 1.0)),
    "rare flags: Bernoulli ROIs, beta(1, 19) images": (
        lambda rng, n: (rng.random((n, ROIS)) < rng.beta(1, 19, (n, 1))).astype(float), 0.05, (0.0, 1.0)),
    "lognormal(0, 1) images + normal ROIs": (
        lambda rng, n: rng.lognormal(0, 1, (n, 1)) + rng.normal(0, 1, (n, ROIS)), float(np.exp(0.5)),
        (-np.inf, np.inf)),
}


def bootstrap_t(means: np.ndarray, support: tuple[float, float]) -> tuple[float, float]:
    return ImageMean(means, support=support, minimum=2).interval()  # the interval itself, below MIN_IMAGES too


def student_t(means: np.ndarray, support: tuple[float, float]) -> tuple[float, float]:
    se = means.std(ddof=1) / np.sqrt(means.size)
    half = stats.t.ppf(0.975, means.size - 1) * se
    return means.mean() - half, means.mean() + half


def percentile(means: np.ndarray, support: tuple[float, float], resamples: int = 2000) -> tuple[float, float]:
    draws = means[np.random.default_rng(0).integers(0, means.size, (resamples, means.size))].mean(axis=1)
    low, high = np.quantile(draws, [0.025, 0.975])
    return float(low), float(high)


METHODS = {"studentized cluster bootstrap": bootstrap_t, "Student t on image means": student_t,
           "percentile bootstrap of image means": percentile}


def measure(design: str, images: int, replications: int, seed: int) -> dict[str, float]:
    """Coverage of each method and the bootstrap-t's upper misses, over the same simulated samples."""
    draw, truth, support = DESIGNS[design]
    rng = np.random.default_rng(seed)
    hits = dict.fromkeys(METHODS, 0)
    upper_misses = 0
    for _ in range(replications):
        means = draw(rng, images).mean(axis=1)
        for name, method in METHODS.items():
            low, high = method(means, support)
            hits[name] += low <= truth <= high
            if name == "studentized cluster bootstrap":
                upper_misses += high < truth
    return {name: count / replications for name, count in hits.items()} | {"upper miss": upper_misses / replications}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--images", type=int, nargs="+", default=[13, 10])
    args = parser.parse_args()
    columns = [*METHODS, "upper miss"]
    print("| design | images | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for design in DESIGNS:
        for images in args.images:
            figures = measure(design, images, args.replications, args.seed)
            print(f"| {design} | {images} | " + " | ".join(f"{figures[c]:.1%}" for c in columns) + " |", flush=True)


if __name__ == "__main__":
    main()
