"""A (model, task)'s result file: its units and their aggregates; rewriting older files' aggregates; the summary.

Aggregates (:func:`cem_bench.analysis.bootstrap.aggregate_units`): per metric the mean over the units that
define it, ``n_units`` and ``n_images``, and the 95% interval of the studentized cluster bootstrap over
images (the ROIs of an image are resampled together), drawn with the suite's bootstrap ``resamples`` and
``seed``; below 10 images no interval and a reason. :func:`rewrite_aggregates` re-derives them for files
already written (an older rule, schema version 1) from their stored units, without rescoring. Also builds
``results/summary.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cem_bench.analysis.bootstrap import METHOD, RESAMPLED, UNDEFINED, aggregate_units
from cem_bench.analysis.cluster import MIN_IMAGES
from cem_bench.analysis.consistency import ROUNDING_TOL, near, require_consistent, too_many_draws
from cem_bench.core.errors import CemBenchError, naming
from cem_bench.core.files import atomic_write_bytes
from cem_bench.core.metrics.catalog import METRICS, SUMMARY_DIGITS
from cem_bench.core.parsing import parse_json
from cem_bench.core.version import __version__
from cem_bench.records.io import (
    SUITE_SCHEMA_VERSION,
    as_read,
    git_revision,
    read_result,
    result_files,
    validate_result,
    write_result,
)

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
        "schema_version": SUITE_SCHEMA_VERSION,
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
        "bootstrap": bootstrap_settings(boot.resamples, boot.seed, boot.level),
        "environment": {"package_version": __version__, "git_revision": git_revision(),
                        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")},
        "aggregates": aggregate_units(units, boot.resamples, boot.seed, boot.level),
        "units": list(units),
    }


def write_assembled(record: dict[str, Any], path: Path) -> Path:
    """Write the assembled result ``record`` to ``path``, unless the file there already says the same: only
    its ``environment`` (when, and at which revision, it was assembled) would change, and a run that merely
    finds every unit cached must not re-date a committed result (its leaderboard would go stale)."""
    if path.is_file():
        try:
            existing = read_result(path, schema="suite_result")
        except CemBenchError:
            existing = None  # unreadable or not a suite result: replaced
        if existing is not None and _without_environment(existing) == _without_environment(as_read(record)):
            return path
    return write_result(record, path, schema="suite_result")


def _without_environment(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "environment"}


def bootstrap_settings(resamples: Any, seed: Any, level: Any) -> dict[str, Any]:
    """A result's ``bootstrap`` block: how its intervals were drawn."""
    return {"method": METHOD, "resampled": RESAMPLED, "min_images": MIN_IMAGES, "resamples": resamples,
            "seed": seed, "level": level}


def suite_folders(root: Path) -> list[str]:
    """The suites with a results folder under ``root`` (hidden folders such as ``.units`` are not suites)."""
    return sorted(path.name for path in root.iterdir() if path.is_dir() and not path.name.startswith(".")) \
        if root.is_dir() else []


@dataclass
class Rewrite:
    """What :func:`rewrite_aggregates` did: files rewritten, files already current, files refused (why)."""

    rewritten: list[Path] = field(default_factory=list)
    current: list[Path] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _stored_mean_problem(old: Any, derived: dict[str, Any]) -> str | None:
    """The first metric whose stored mean or unit count (``n`` in version 1, ``n_units`` since) is not what
    the units give: the means keep their definition, so they must not move."""
    if not isinstance(old, dict):
        return f"aggregates: {type(old).__name__}, not an object"
    for name, stored in old.items():
        if name not in derived:
            continue  # not a metric: dropped with the rest of the old aggregates
        count = stored.get("n_units", stored.get("n")) if isinstance(stored, dict) else None
        mean = stored.get("mean") if isinstance(stored, dict) else None
        valid = mean is None or (isinstance(mean, (int, float)) and not isinstance(mean, bool))
        if not (valid and near(mean, derived[name]["mean"], ROUNDING_TOL) and count == derived[name]["n_units"]):
            return (f"aggregates.{name} (mean {mean}, n {count}) is not what its units give "
                    f"(mean {derived[name]['mean']}, n {derived[name]['n_units']})")
    return None


def _rederived(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The record of ``path`` as stored, and as it is with its schema version, bootstrap block and aggregates
    re-derived from its units; :class:`CemBenchError` when the file is not a suite result, its units
    contradict their own maps, or its stored means and counts are not what its units give."""
    try:
        record = parse_json(path.read_text())
        boot = record["bootstrap"]
        settings = bootstrap_settings(boot["resamples"], boot["seed"], boot["level"])
        old = record["aggregates"]
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise CemBenchError(f"{path}: not a readable suite result ({type(error).__name__}: {error})") from None
    replaced = {"schema_version": SUITE_SCHEMA_VERSION, "bootstrap": settings,
                "aggregates": {name: UNDEFINED for name in METRICS}}
    candidate = {key: replaced.get(key, value) for key, value in record.items()}
    validate_result(candidate, "suite_result")  # units and settings, before anything is drawn from them
    refused = too_many_draws(settings["resamples"], candidate["units"])
    if refused:
        raise CemBenchError(f"{path}: {refused}")
    candidate["aggregates"] = aggregate_units(candidate["units"], settings["resamples"], settings["seed"],
                                              settings["level"])
    require_consistent(candidate, str(path), aggregates=False)  # every unit's metrics follow from its map
    problem = _stored_mean_problem(old, candidate["aggregates"])
    if problem:
        raise CemBenchError(f"{path}: refused, {problem}")
    return record, candidate


def rewrite_aggregates(results_dir: str | Path, suites: Sequence[str] | None = None) -> Rewrite:
    """Re-derive the aggregates of every result file under ``results_dir`` (of ``suites``, default all) from
    its stored units, without rescoring, and write the files whose aggregates, bootstrap block or schema
    version change (atomically); a file already current is left untouched, so a second run writes nothing.

    Its units must follow from their maps and its stored means and counts from its units (the means keep
    their definition; only the intervals change): a file that fails is refused and left as it is.
    """
    root = Path(results_dir)
    names = list(suites) if suites is not None else suite_folders(root)
    absent = [name for name in names if not (root / name).is_dir()]
    if absent:
        raise CemBenchError(f"no results of suite {absent[0]} under {root}")
    done = Rewrite()
    for suite in names:
        for path in result_files(root, suite):
            try:
                stored, record = _rederived(path)
            except CemBenchError as error:
                done.refused.append(naming(path, error))
                continue
            if record == stored:
                done.current.append(path)
            else:
                done.rewritten.append(write_result(record, path, schema="suite_result"))
    return done


def build_summary(results_dir: str | Path) -> dict[str, Any]:
    """``{suite: {task label: {model: {metric: mean}}}}`` of every suite under ``results_dir``, sorted.

    A file that contradicts itself (:mod:`cem_bench.analysis.consistency`) is refused: the summary would
    repeat numbers that its own maps and units do not give.
    """
    root = Path(results_dir)
    summary: dict[str, Any] = {}
    for suite in suite_folders(root):
        for path in result_files(root, suite):
            record = read_result(path, schema="suite_result")
            require_consistent(record, str(path))
            means = {name: (None if (mean := record["aggregates"].get(name, {}).get("mean")) is None
                            else round(mean, SUMMARY_DIGITS)) for name in METRICS}
            summary.setdefault(suite, {}).setdefault(path.parent.name, {})[record["model"]["name"]] = means
    return summary


def summary_text(results_dir: str | Path) -> str:
    """``summary.json`` as :func:`write_summary` writes it (``cem-bench check`` compares it byte for byte)."""
    return json.dumps(build_summary(results_dir), indent=1) + "\n"


def write_summary(results_dir: str | Path) -> Path:
    """Write ``<results>/summary.json`` (small, stable key order: a DVC metrics file)."""
    path = Path(results_dir) / SUMMARY_FILE
    atomic_write_bytes(path, summary_text(results_dir).encode())
    return path
