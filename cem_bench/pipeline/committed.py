"""A suite's committed records, each read once: the result files and unit records that CI's checks inspect.

``cem-bench check --committed-only`` asks several questions of the same files (do their numbers follow from
their maps, were they computed for the suite's plan and the current cards); reading and validating every
one of thousands of unit records once per question dominated the check, so the checks share this snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cem_bench.core.errors import CemBenchError, naming
from cem_bench.pipeline.plan import Unit, plan
from cem_bench.pipeline.runner import UNITS_DIR
from cem_bench.pipeline.suites import Suite
from cem_bench.records.io import read_result, result_files


@dataclass(frozen=True)
class Read:
    """One committed file: its validated record, or the one-line error that refused it."""

    path: Path
    record: dict[str, Any] | None
    error: str | None = None


def read_record(path: Path, schema: str) -> Read:
    """``path`` read and validated against ``schema``, or the error that refused it."""
    try:
        return Read(path, read_result(path, schema=schema))
    except CemBenchError as error:  # unreadable, or not a record of that schema
        return Read(path, None, naming(path, error))


@dataclass(frozen=True)
class Committed:
    """The suite's result files (``<results>/<suite>/<task>/<model>.json``), unit records
    (``<results>/<suite>/.units/*.json``) and plan, read once."""

    results: tuple[Read, ...]
    units: tuple[Read, ...]
    planned: dict[str, Unit] = field(repr=False)

    @classmethod
    def read(cls, results_dir: str | Path, suite: Suite) -> Committed:
        folder = Path(results_dir) / suite.name / UNITS_DIR
        return cls(results=tuple(read_record(path, "suite_result") for path in result_files(results_dir, suite.name)),
                   units=tuple(read_record(path, "suite_result#unit") for path in sorted(folder.glob("*.json"))),
                   planned={unit.key: unit for unit in plan(suite)})

    def planned_keys(self) -> dict[tuple[str, str], list[str]]:
        """The plan's unit keys of each (model, task label), sorted."""
        keys: dict[tuple[str, str], list[str]] = defaultdict(list)
        for key, unit in sorted(self.planned.items()):
            keys[unit.model, unit.task.label].append(key)
        return dict(keys)


__all__ = ["Committed", "Read", "read_record"]
