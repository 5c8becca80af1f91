"""How far a suite computed in budgeted runs has got: per (model, task), units and images done of those
planned, and an estimate of the CPU time still needed.

The plan is the pipeline's (``cem_bench.pipeline.plan``, a floor above this one), so callers pass the
planned units in as :class:`PlannedUnit` and the finished unit records as read from the suite's
``.units/`` folder (:func:`read_unit_records`). Everything here is a function of those two inputs, so a
report built on it renders the same bytes from the same committed files.

The estimate of a (model, task): *pending jobs x median seconds of its finished CPU jobs*. A job is one
image's units (they are scored together, ``pipeline/jobs.py``); it is finished when every one of its
units is done, pending otherwise (a job with some units done counts whole). Its seconds are read from its
unit records: when the ROIs shared one run, every unit records that run's seconds, so the job took that
long once (not nine times); when they ran separately, each unit records its own run and the job took
their sum. Only jobs computed on a CPU in one go (no resumed samples) are timed: a GPU's seconds are not
CPU time and a resumed job's record holds only its last part. No such job: *pending jobs x an upper bound
of one job's seconds* when the caller has one (the pipeline's, from the model's kept reach: every sampled
block's fine samples counted at one timed forward's speed), marked ``bounded``; else unknown.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cem_bench.core.errors import CemBenchError, naming
from cem_bench.records.io import read_result


@dataclass(frozen=True)
class PlannedUnit:
    """One planned (model, task, image, ROI) unit; ``fingerprint`` is what its record must carry to count
    as done (a record with another one is recomputed by the runner), ``None`` to accept any."""

    key: str
    model: str
    task: str
    image: str
    fingerprint: str | None = None


@dataclass(frozen=True)
class PairCoverage:
    """Coverage of one (model, task): done of planned, and the estimated CPU seconds left."""

    model: str
    task: str
    units_done: int
    units_planned: int
    images_done: int
    images_planned: int
    timed_jobs: int  # finished jobs the estimate is based on
    seconds_left: float | None  # None: unknown (no finished CPU job to go by, no bound)
    bounded: bool = False  # seconds_left is an upper bound (no finished CPU job; module docstring)
    job_seconds: float | None = None  # median seconds of the timed jobs (None: no timed job)

    @property
    def complete(self) -> bool:
        return self.units_done == self.units_planned


@dataclass(frozen=True)
class Coverage:
    """Every planned (model, task) of a suite, sorted by (task, model), and the newest unit's timestamp."""

    pairs: tuple[PairCoverage, ...]
    latest: str | None  # newest ``environment.created`` among the done units (a report's date)

    def pair(self, model: str, task: str) -> PairCoverage | None:
        return next((p for p in self.pairs if (p.model, p.task) == (model, task)), None)

    @property
    def units_done(self) -> int:
        return sum(p.units_done for p in self.pairs)

    @property
    def units_planned(self) -> int:
        return sum(p.units_planned for p in self.pairs)

    @property
    def images_done(self) -> int:
        return sum(p.images_done for p in self.pairs)

    @property
    def images_planned(self) -> int:
        return sum(p.images_planned for p in self.pairs)

    @property
    def pairs_complete(self) -> int:
        return sum(p.complete for p in self.pairs)

    @property
    def models_planned(self) -> int:
        return len({p.model for p in self.pairs})

    @property
    def models_complete(self) -> int:
        """Models whose every planned task is complete."""
        return len({p.model for p in self.pairs} - {p.model for p in self.pairs if not p.complete})

    @property
    def seconds_left(self) -> float:
        """The sum of the known estimates: medians of finished jobs (themselves read as lower bounds, the
        cheapest jobs being done first) and :attr:`bounded` upper bounds; pairs :attr:`unknown` are left out."""
        return sum(p.seconds_left for p in self.pairs if p.seconds_left is not None)

    @property
    def bounded(self) -> int:
        """Incomplete (model, task) pairs whose time left is an upper bound."""
        return sum(p.bounded for p in self.pairs)

    @property
    def unknown(self) -> int:
        """Incomplete (model, task) pairs whose time left is unknown."""
        return sum(p.seconds_left is None for p in self.pairs)


def read_unit_records(folder: str | Path) -> list[dict[str, Any]]:
    """Every unit record in ``folder`` (``<results>/<suite>/.units``), validated, in file-name order;
    none when the folder does not exist. An unreadable record is an error naming the file."""
    records = []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            records.append(read_result(path, schema="suite_result#unit"))
        except CemBenchError as error:  # a schema violation does not name the file by itself
            raise CemBenchError(naming(path, error)) from None
    return records


def job_seconds(records: Sequence[dict[str, Any]]) -> float | None:
    """The CPU seconds one finished job took, from its units' records (module docstring), or ``None``
    when it was not computed on a CPU in one go."""
    for record in records:
        environment = record["environment"]
        if not str(environment.get("device", "")).startswith("cpu") or environment.get("resumed_samples"):
            return None
    seconds = [float(record["seconds"]) for record in records]
    return seconds[0] if len(set(seconds)) == 1 else sum(seconds)


def coverage(planned: Iterable[PlannedUnit], records: Iterable[dict[str, Any]],
             bounds: Mapping[tuple[str, str], float] | None = None) -> Coverage:
    """Coverage of every (model, task) in ``planned`` by the unit ``records``; records of units not
    planned, or with another fingerprint than planned, do not count. ``bounds``: an upper bound of one
    job's CPU seconds per (model, task), used where no finished CPU job times it."""
    by_key = {unit.key: unit for unit in planned}
    done: dict[str, dict[str, Any]] = {}
    latest: str | None = None
    for record in records:
        unit = by_key.get(record["key"])
        if unit is None or unit.fingerprint not in (None, record["fingerprint"]):
            continue
        done[unit.key] = record
        created = record["environment"].get("created")
        if created is not None and (latest is None or created > latest):
            latest = created
    jobs: dict[tuple[str, str], dict[str, list[PlannedUnit]]] = {}
    for unit in sorted(by_key.values(), key=lambda u: u.key):
        jobs.setdefault((unit.model, unit.task), {}).setdefault(unit.image, []).append(unit)
    pairs = [_pair(model, task, images, done, (bounds or {}).get((model, task))) for (model, task), images in jobs.items()]
    return Coverage(tuple(sorted(pairs, key=lambda p: (p.task, p.model))), latest)


def _pair(model: str, task: str, images: dict[str, list[PlannedUnit]], done: dict[str, dict[str, Any]],
          bound: float | None) -> PairCoverage:
    finished = [units for units in images.values() if all(unit.key in done for unit in units)]
    timed = [s for units in finished if (s := job_seconds([done[unit.key] for unit in units])) is not None]
    pending = len(images) - len(finished)
    median = statistics.median(timed) if timed else None
    bounded = False
    if pending == 0:
        left: float | None = 0.0
    elif median is not None:
        left = pending * median
    else:
        bounded = bound is not None
        left = pending * bound if bound is not None else None
    return PairCoverage(model=model, task=task, units_done=sum(unit.key in done for units in images.values() for unit in units),
                        units_planned=sum(len(units) for units in images.values()), images_done=len(finished),
                        images_planned=len(images), timed_jobs=len(timed), seconds_left=left, bounded=bounded,
                        job_seconds=median)
