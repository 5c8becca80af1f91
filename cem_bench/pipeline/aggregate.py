"""Aggregates over a model's (image, ROI) units: means with percentile-bootstrap confidence intervals.

The bootstrap resamples whole units (an (image, ROI) map with all its metrics) with replacement,
``resamples`` times, from ``numpy.random.default_rng(seed)`` with the suite's seed; the interval is the
``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles of the resampled means (numpy's default linear
interpolation). Undefined values (null: e.g. the causal radius of a map without any effect) are left out
of that metric only, and ``n`` says how many units it used. Also builds ``results/summary.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cem_bench import __version__
from cem_bench.core.errors import CemBenchError
from cem_bench.records.io import SCHEMA_VERSION, atomic_write_bytes, git_revision, read_result

# Per-unit metrics, in the order results and summaries list them (docs/pipeline.md defines each).
METRICS = (
    "psnr_roi", "psnr_input", "psnr_gain", "positive", "negative", "zero", "positive_sum", "negative_sum",
    "effect_range", "negative_fraction", "causal_radius", "diffusion_index", "lam_di",
)
DIGITS = 6
SUMMARY_DIGITS = 4
SUMMARY_FILE = "summary.json"


def bootstrap_ci(values: Sequence[float | None], resamples: int = 2000, seed: int = 0,
                 level: float = 0.95) -> dict[str, float | int | None]:
    """Mean of ``values`` (None/NaN left out) with its percentile-bootstrap confidence interval.

    >>> bootstrap_ci([1.0, 1.0, None])
    {'mean': 1.0, 'low': 1.0, 'high': 1.0, 'n': 2}
    >>> ci = bootstrap_ci([0.0, 10.0], resamples=4000)
    >>> ci["mean"], ci["low"], ci["high"]
    (5.0, 0.0, 10.0)
    >>> bootstrap_ci([None])
    {'mean': None, 'low': None, 'high': None, 'n': 0}
    """
    finite = np.array([v for v in values if v is not None and not np.isnan(v)], dtype=np.float64)
    n = int(finite.size)
    if n == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    rng = np.random.default_rng(seed)
    means = finite[rng.integers(0, n, size=(resamples, n))].mean(axis=1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return {"mean": round(float(finite.mean()), DIGITS), "low": round(float(low), DIGITS),
            "high": round(float(high), DIGITS), "n": n}


def aggregate_units(units: Sequence[dict[str, Any]], resamples: int, seed: int, level: float) -> dict[str, Any]:
    """``{metric: {mean, low, high, n}}`` over unit records (each with a ``metrics`` mapping)."""
    return {name: bootstrap_ci([unit["metrics"].get(name) for unit in units], resamples, seed, level) for name in METRICS}


def assemble(suite: Any, units: Sequence[dict[str, Any]], card: Any, multi_task: bool) -> dict[str, Any]:
    """The result file of one (model, task) of ``suite``: provenance, every unit, and the aggregates."""
    if not units:
        raise CemBenchError("cannot assemble a result without units")
    first = units[0]
    for unit in units:
        if unit["protocol"]["hash"] != first["protocol"]["hash"] or unit["task"]["label"] != first["task"]["label"]:
            raise CemBenchError(f"units of {card.name} mix protocols or tasks ({unit['key']}); delete the stale cache")
    task = {key: value for key, value in first["task"].items() if key != "degradation"}
    boot = suite.bootstrap
    return {
        "schema_version": SCHEMA_VERSION,
        "suite": {"name": suite.name, "id": suite.id, "hash": suite.hash, "description": suite.description},
        "protocol": first["protocol"],
        "task": task,
        "model": {
            "name": card.name,
            "card_sha256": first["model"]["card_sha256"],
            "weights_sha256": first["model"]["weights_sha256"],
            "params": first["model"]["params"],
            "analytic": card.analytic,
            "multi_task": multi_task,
            "card_tasks": [entry.model_dump(mode="json") for entry in card.tasks],
        },
        "seeds": {"protocol": first["protocol"]["seed"], "bootstrap": boot.seed},
        "bootstrap": {"method": "percentile", "resampled": "(image, ROI) units", "resamples": boot.resamples,
                      "seed": boot.seed, "level": boot.level},
        "environment": {"package_version": __version__, "git_revision": git_revision(),
                        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")},
        "aggregates": aggregate_units(units, boot.resamples, boot.seed, boot.level),
        "units": list(units),
    }


def result_files(results_dir: str | Path, suite: str) -> list[Path]:
    """``<results>/<suite>/<task>/<model>.json`` files, sorted (unit caches are skipped)."""
    folder = Path(results_dir) / suite
    return sorted(path for path in folder.glob("*/*.json") if not path.parent.name.startswith("."))


def build_summary(results_dir: str | Path) -> dict[str, Any]:
    """``{suite: {task label: {model: {metric: mean}}}}`` of every suite under ``results_dir``, sorted."""
    root = Path(results_dir)
    summary: dict[str, Any] = {}
    suites = sorted(path.name for path in root.iterdir() if path.is_dir() and not path.name.startswith(".")) \
        if root.is_dir() else []
    for suite in suites:
        for path in result_files(root, suite):
            record = read_result(path, schema="suite_result")
            means = {name: (None if (mean := record["aggregates"].get(name, {}).get("mean")) is None
                            else round(mean, SUMMARY_DIGITS)) for name in METRICS}
            summary.setdefault(suite, {}).setdefault(path.parent.name, {})[record["model"]["name"]] = means
    return summary


def write_summary(results_dir: str | Path) -> Path:
    """Write ``<results>/summary.json`` (small, stable key order: a DVC metrics file)."""
    path = Path(results_dir) / SUMMARY_FILE
    atomic_write_bytes(path, (json.dumps(build_summary(results_dir), indent=1) + "\n").encode())
    return path
