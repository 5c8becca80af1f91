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

from cem_bench.analysis.bootstrap import aggregate_units
from cem_bench.analysis.consistency import require_consistent
from cem_bench.core.errors import CemBenchError
from cem_bench.core.files import atomic_write_bytes
from cem_bench.core.metrics.catalog import METRICS, SUMMARY_DIGITS
from cem_bench.core.version import __version__
from cem_bench.records.io import SCHEMA_VERSION, git_revision, read_result, result_files

SUMMARY_FILE = "summary.json"


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


def build_summary(results_dir: str | Path) -> dict[str, Any]:
    """``{suite: {task label: {model: {metric: mean}}}}`` of every suite under ``results_dir``, sorted.

    A file that contradicts itself (:mod:`cem_bench.analysis.consistency`) is refused: the summary would
    repeat numbers that its own maps and units do not give.
    """
    root = Path(results_dir)
    summary: dict[str, Any] = {}
    suites = sorted(path.name for path in root.iterdir() if path.is_dir() and not path.name.startswith(".")) \
        if root.is_dir() else []
    for suite in suites:
        for path in result_files(root, suite):
            record = read_result(path, schema="suite_result")
            require_consistent(record, str(path))
            means = {name: (None if (mean := record["aggregates"].get(name, {}).get("mean")) is None
                            else round(mean, SUMMARY_DIGITS)) for name in METRICS}
            summary.setdefault(suite, {}).setdefault(path.parent.name, {})[record["model"]["name"]] = means
    return summary


def write_summary(results_dir: str | Path) -> Path:
    """Write ``<results>/summary.json`` (small, stable key order: a DVC metrics file)."""
    path = Path(results_dir) / SUMMARY_FILE
    atomic_write_bytes(path, (json.dumps(build_summary(results_dir), indent=1) + "\n").encode())
    return path
