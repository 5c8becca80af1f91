"""The suite runner: plan (model, task, image, ROI) units, score each once, assemble results per model.

Every unit's record is cached as ``<out>/<suite>/.units/<key>.json`` (written atomically), so a rerun
skips finished units: an interrupted run resumes at unit level. A cached record is reused only when its
``fingerprint`` (protocol, task, image source and crop, ROI, model card) matches the current suite, and
the runner always uses the record as read back from JSON, so a unit is identical whether it was just
computed or came from the cache. When every unit of a (model, task) is done, the runner writes
``<out>/<suite>/<task label>/<model>.json`` with bootstrap aggregates (``aggregate.py``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from cem_bench.analysis.coverage import PlannedUnit, coverage
from cem_bench.cem.backends import DEFAULT_BACKEND, check
from cem_bench.core.device import resolve_device
from cem_bench.core.errors import BudgetExhausted, CemBenchError
from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.core.metrics import map_metrics
from cem_bench.core.metrics.catalog import stored_metric
from cem_bench.models import get_card, load_model
from cem_bench.models.task_fit import is_multi_task
from cem_bench.models.weights import find_weights
from cem_bench.pipeline.aggregate import assemble, write_assembled, write_summary
from cem_bench.pipeline.attribution import compute_lam
from cem_bench.pipeline.executors import get_executor
from cem_bench.pipeline.jobs import Estimate, Job, estimate_seconds, make_jobs, partial_path
from cem_bench.pipeline.plan import Unit, card_sha256, plan
from cem_bench.pipeline.reach import Reach, known_reach
from cem_bench.pipeline.scoring import score
from cem_bench.pipeline.suites import Suite
from cem_bench.records.io import as_read, ce_array, read_result, write_result

UNITS_DIR = ".units"


def unit_path(out: str | Path, suite: Suite, unit: Unit) -> Path:
    return Path(out) / suite.name / UNITS_DIR / f"{unit.key}.json"


def fingerprint(unit: Unit, suite: Suite, card: Any) -> str:
    """What a unit's numbers depend on: a cached unit with another fingerprint is recomputed."""
    image = suite.image(unit.image).chosen()
    content = {"protocol": suite.protocol.id, "task": unit.task.build().describe(), "roi": list(unit.roi),
               "image": image.model_dump(mode="json"), "card": card_sha256(card)}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def _load(ref: str, weights: str | None, device: str) -> Any:
    """The last model used, kept: consecutive units of one model load its weights once."""
    return load_model(ref, weights=weights, device=resolve_device(device))


def read_unit(path: Path) -> dict[str, Any]:
    return read_result(path, schema="suite_result#unit")


def _cached_record(unit: Unit, suite: Suite, out: str | Path, expected: str) -> dict[str, Any] | None:
    path = unit_path(out, suite, unit)
    if not path.is_file():
        return None
    try:
        cached = read_unit(path)
    except CemBenchError:
        return None  # a damaged cache entry is recomputed
    return cached if cached["fingerprint"] == expected else None


def score_job(job: Job, suite: Suite, out: str | Path, weights: dict[str, str] | None = None, device: str = "auto",
              batch_size: int | None = None, deadline: float | None = None,
              backend: str = DEFAULT_BACKEND) -> list[dict[str, Any]]:
    """Score the units of one job that are not cached yet, together (their ROIs share forwards where that is
    cheaper), write each unit's record, and return every unit's record as stored in JSON.

    With ``deadline`` (``time.monotonic()``) a job not yet started past it, or reaching it while sampling,
    raises :class:`BudgetExhausted`; its finished samples stay in its partial file for the next run.
    ``backend`` runs the CEM forwards; a cached unit is reused whichever backend computed it (both give
    the same maps within the regeneration tolerance) and keeps recording the one that did.
    """
    card = get_card(job.first.card_ref)
    expected = {unit: fingerprint(unit, suite, card) for unit in job.units}
    records = {unit: _cached_record(unit, suite, out, expected[unit]) for unit in job.units}
    todo = [unit for unit in job.units if records[unit] is None]
    if todo:
        if deadline is not None and time.monotonic() >= deadline:
            raise BudgetExhausted("time budget reached before this job")
        source = suite.image(job.first.image).chosen()
        task, rois = job.first.task.build(), [ROI(*unit.roi) for unit in todo]
        choice = (weights or {}).get(job.first.model)
        model = _load(job.first.card_ref, None if choice is None else str(choice), device)
        partial = partial_path(out, suite, job)
        run = score(model, task, source.read(), rois, protocol=suite.protocol, device=device, batch_size=batch_size,
                    progress=False, checkpoint=partial, deadline=deadline, backend=backend)
        # Every record first (LAM runs the model again), then the files: a job that fails writes none of its units.
        fresh = {unit: _unit_record(unit, expected[unit], card, source, task, roi, result, run.degraded, model, device,
                                    batch_size) for unit, roi, result in zip(todo, rois, run.map_records)}
        for unit, record in fresh.items():
            write_result(record, unit_path(out, suite, unit), schema="suite_result#unit", compact=True)
        records.update(fresh)
        partial.unlink(missing_ok=True)
    return [records[unit] for unit in job.units]


def _unit_record(unit: Unit, expected: str, card: Any, source: Any, task: Any, roi: ROI, result: dict[str, Any],
                 degraded: Any, model: Any, device: str, batch_size: int | None) -> dict[str, Any]:
    """One unit's record from its map's single-ROI record, with the unit's metrics."""
    ce = ce_array(result["ce"])
    grid = BlockGrid(degraded.gt.shape[0], degraded.gt.shape[1], result["grid"]["block"], task.scale)
    # psnr_input and psnr_gain come with the map's record (records.cem), computed there as they always were here.
    metrics = {"psnr_roi": result["psnr_roi"], "psnr_input": result["psnr_input"], "psnr_gain": result["psnr_gain"],
               **map_metrics(ce, roi, grid)}
    metrics["lam_di"] = lam_di(model, degraded, roi, device, batch_size) if task.name == "sr" else None
    record = {
        "key": unit.key,
        "fingerprint": expected,
        "protocol": result["protocol"],
        "task": {"label": task.label, **result["task"]},
        "model": {**result["model"], "card_sha256": card_sha256(card)},
        "image": {"id": unit.image, "source": source.source, "crop": None if source.crop is None else list(source.crop),
                  "sha256": result["image"]["sha256"], "size": result["image"]["size"],
                  "lq_sha256": result["image"]["lq_sha256"]},
        "roi": result["roi"],
        "grid": result["grid"],
        "metrics": {name: stored_metric(value) for name, value in metrics.items()},
        "effect_range": result["effect_range"],
        "ce": result["ce"],
        "n_samples": result["n_samples"],
        "stderr": result["stderr"],
        "forwards": result["forwards"],
        "fine_blocks": result["fine_blocks"],
        "seconds": result["seconds"],  # of the run that produced it (shared by the ROIs of a shared run)
        "environment": result["environment"],  # with the backend that ran the forwards
        "acceleration": result["acceleration"],  # whether the screen and the crop ran
    }
    return as_read(record)  # exactly what a later read returns


def lam_di(model: Any, degraded: Any, roi: ROI, device: str, batch_size: int | None) -> float | None:
    """LAM's Diffusion Index of an SR model on the unit's own image and window (its default settings).

    The window must leave one output pixel right of and below it (LAM's forward differences); a ROI
    on the image's last row or column gets None.
    """
    height, width = degraded.gt.shape[:2]
    if roi.x + roi.size >= width or roi.y + roi.size >= height:
        return None
    return compute_lam(model, degraded.gt, roi, lq=None, device=device, batch_size=batch_size).diffusion_index


def models_without_weights(units: list[Unit], weights: dict[str, str] | None = None) -> list[str]:
    """Sorted names of the units' real models whose weights are neither given in ``weights`` nor on this machine."""
    return sorted({unit.model for unit in units
                   if (card := get_card(unit.card_ref)).weights is not None and unit.model not in (weights or {})
                   and find_weights(card.weights) is None})


def _runnable(units: list[Unit], weights: dict[str, str] | None, explicit: bool) -> list[Unit]:
    """With ``models: all``, drop real models whose weights are not on this machine (with a notice)."""
    if explicit:
        return units
    missing = models_without_weights(units, weights)
    if missing:
        tqdm.write(f"skipping {len(missing)} model(s) without weights on this machine: {', '.join(missing)}")
    return [unit for unit in units if unit.model not in missing]


def run_suite(suite: Suite, models: list[str] | None = None, out: str | Path = "results", executor: str = "serial",
              weights: dict[str, str] | None = None, progress: bool = True, device: str = "auto",
              batch_size: int | None = None, executor_options: dict[str, Any] | None = None,
              tasks: list[str] | None = None, summary: bool = True, budget: float | None = None,
              order: str = "cheapest", backend: str = DEFAULT_BACKEND) -> list[Path]:
    """Run ``suite`` and return the ``<out>/<suite>/<task>/<model>.json`` files written.

    Units are scored in jobs, one per (model, task, image), whose ROIs share forwards. ``budget`` (seconds)
    orders jobs cheapest first (``order="expensive"``: the most expensive first) and stops at the budget; finished units are cached and complete (model, task)
    files written, and a later run resumes where this one stopped. ``tasks`` (labels such as ``sr-x4``)
    keeps only those suite tasks; ``backend`` runs the CEM forwards of every unit (``torch``, or
    ``onnxruntime`` on CPU; LAM stays on torch); ``summary=False`` leaves
    ``<out>/summary.json`` alone (a DVC score stage: the aggregate stage owns it).

    Failed units are retried once; units that still fail are reported in one :class:`CemBenchError`
    raised after every complete (model, task) file and ``<out>/summary.json`` have been written.
    """
    check(backend, resolve_device(device))
    units = plan(suite, models)
    if tasks is not None:
        unknown = sorted(set(tasks) - {spec.label for spec in suite.tasks})
        if unknown:
            raise CemBenchError(f"suite {suite.name} has no task {', '.join(unknown)} "
                                f"(its tasks: {', '.join(spec.label for spec in suite.tasks)})")
        units = [unit for unit in units if unit.task.label in tasks]
        if not units:
            raise CemBenchError(f"no model of this run supports {', '.join(tasks)} in suite {suite.name}")
    units = _runnable(units, weights, explicit=(models is not None or suite.models != "all"))
    todo = [unit for unit in units if not _cached(unit, suite, out)]
    skipped = set(units) - set(todo)
    records: dict[Unit, dict[str, Any]] = {unit: read_unit(unit_path(out, suite, unit)) for unit in units
                                           if unit in skipped}
    jobs = make_jobs(todo)
    deadline = None
    if budget is not None:
        deadline = time.monotonic() + budget
        if order not in ("cheapest", "expensive"):
            raise CemBenchError(f"order must be cheapest or expensive, got {order!r}")
        reaches: dict[tuple[str, str], Reach | None] = {}  # one lookup per (model, task), not per job
        estimates = {job: _estimate(job, suite, out, weights, device, backend, reaches) for job in jobs}
        costs = {job: estimate.seconds for job, estimate in estimates.items()}
        # A (model, task) already timed by finished CPU jobs costs what they took: the estimate is an upper
        # bound, loose for local models (only blocks a coarse sample moved get fine samples).
        if resolve_device(device).type == "cpu":
            timed = measured_job_seconds(units, records.values())
            costs = {job: timed.get((job.first.model, job.first.task.label), cost) for job, cost in costs.items()}
        sign = 1 if order == "cheapest" else -1  # a GPU takes the jobs a CPU would spend days on
        jobs = sorted(jobs, key=lambda job: (sign * costs[job], job.key))
        tqdm.write(f"budget {budget:.0f} s: {len(jobs)} job(s) pending, estimated "
                   f"{sum(c for c in costs.values() if c < float('inf')) / 3600:.1f} h (as finished jobs took, "
                   f"else at most) of this device "
                   f"{estimated_on(backend, list(estimates.values()))}")
    work = partial(score_job, suite=suite, out=str(out), weights=weights, device=device, batch_size=batch_size,
                   deadline=deadline, backend=backend)
    runner = get_executor(executor, **(executor_options or {}))
    failures: dict[Unit, BaseException] = {}
    stopped: list[Job] = []
    groups: dict[tuple[str, str], list[Unit]] = {}
    for unit in units:
        groups.setdefault((unit.model, unit.task.label), []).append(unit)
    written: dict[tuple[str, str], Path] = {}

    def write_if_complete(key: tuple[str, str]) -> None:
        # As soon as its last unit is in, so that a run killed later (at a session's end) keeps the file.
        members = groups[key]
        if key in written or any(unit in failures or unit not in records for unit in members):
            return
        card = get_card(members[0].card_ref)
        record = assemble(suite, [records[unit] for unit in members], card, multi_task=is_multi_task(card))
        written[key] = write_assembled(record, Path(out) / suite.name / key[1] / f"{key[0]}.json")

    bar = tqdm(total=len(todo), unit="map", desc=f"suite {suite.name}", disable=not progress)
    for attempt in (1, 2):
        pending = jobs if attempt == 1 else [job for job in jobs if any(unit in failures for unit in job.units)]
        failures = {}
        for job, outcome in runner.map(work, pending):
            if isinstance(outcome, BudgetExhausted):
                stopped.append(job)
                continue
            if isinstance(outcome, BaseException):
                failures.update({unit: outcome for unit in job.units})
                continue
            for unit, record in zip(job.units, outcome):
                if not unit_path(out, suite, unit).is_file():  # a remote executor may not share the disk
                    write_result(record, unit_path(out, suite, unit), schema="suite_result#unit", compact=True)
                records[unit] = record
            write_if_complete((job.first.model, job.first.task.label))
            bar.update(len(job.units))
            bar.set_postfix_str(job.key, refresh=False)
    bar.close()
    if stopped:
        tqdm.write(f"stopped at the budget: {len(stopped)} job(s) left for a later run "
                   "(finished samples of the job in progress are kept)")
    for key in groups:  # those whose units were all cached, and those a retry completed
        write_if_complete(key)
    if summary:
        write_summary(out)
    if failures:
        raise CemBenchError(f"{len(failures)} unit(s) failed twice (other results written): {failure_summary(failures)}")
    return [written[key] for key in groups if key in written]


def measured_job_seconds(units: list[Unit], records: Iterable[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """Per (model, task): the median seconds of its jobs finished on a CPU in one go among ``records``
    (:mod:`cem_bench.analysis.coverage`'s rule), where it has any."""
    planned = [PlannedUnit(unit.key, unit.model, unit.task.label, unit.image) for unit in units]
    return {(pair.model, pair.task): pair.job_seconds for pair in coverage(planned, records).pairs
            if pair.job_seconds is not None}


def failure_summary(failures: dict[Unit, BaseException]) -> str:
    """The failures, one entry per distinct message (a model too small for a suite's images fails every unit
    alike): the units it hit, then the message.

    >>> from cem_bench.pipeline.suites import TaskSpec
    >>> units = [Unit("m", TaskSpec(name="dr"), image, (0, 0, 8)) for image in ("a", "b")]
    >>> failure_summary({unit: RuntimeError("boom") for unit in units})
    'm.dr.a.r0-0-8, m.dr.b.r0-0-8: RuntimeError: boom'
    """
    by_message: dict[str, list[str]] = {}
    for unit, error in failures.items():
        text = str(error).splitlines()[0] if str(error) else ""
        by_message.setdefault(f"{type(error).__name__}: {text}", []).append(unit.key)
    shown = 3
    return "; ".join(f"{', '.join(keys[:shown])}{f' and {len(keys) - shown} more' if len(keys) > shown else ''}: {message}"
                     for message, keys in by_message.items())


def _estimate(job: Job, suite: Suite, out: str | Path, weights: dict[str, str] | None, device: str,
              backend: str, reaches: dict[tuple[str, str], Reach | None]) -> Estimate:
    """The job's estimate on ``backend`` with its model's reach (one ROI screened once per (model, task), kept
    in ``<out>/<suite>/.reach.json`` and in ``reaches`` for the other jobs of this run); a model that cannot
    even be timed goes last (its job reports the error)."""
    try:
        model = _load(job.first.card_ref, _weights_of(job, weights), device)
        pair = (job.first.model, job.first.task.label)
        if pair not in reaches:  # other weights than the card's are not what the file keys: no reach
            own = weights is None or job.first.model not in weights
            reaches[pair] = known_reach(job.middle, suite, out, model, device) if own else None
        return estimate_seconds(job, suite, model, device, backend, reaches[pair])
    except CemBenchError:
        return Estimate(float("inf"), "none")


def estimated_on(backend: str, estimates: list[Estimate]) -> str:
    """Which backend the estimate timed, for the budget line (torch where onnxruntime fell back).

    >>> estimated_on("onnxruntime", [Estimate(1.0, "onnxruntime"), Estimate(2.0, "torch")])
    'with the onnxruntime backend (1 job timed on torch: its graph fell back)'
    >>> estimated_on("torch", [Estimate(1.0, "torch")])
    'with the torch backend'
    """
    fell_back = sum(estimate.backend == "torch" for estimate in estimates) if backend != "torch" else 0
    if not fell_back:
        return f"with the {backend} backend"
    return f"with the {backend} backend ({fell_back} job{'s' if fell_back > 1 else ''} timed on torch: " \
           f"{'their graphs' if fell_back > 1 else 'its graph'} fell back)"


def _weights_of(job: Job, weights: dict[str, str] | None) -> str | None:
    choice = (weights or {}).get(job.first.model)
    return None if choice is None else str(choice)


def _cached(unit: Unit, suite: Suite, out: str | Path) -> bool:
    """A valid cached record with the current fingerprint exists."""
    path = unit_path(out, suite, unit)
    if not path.is_file():
        return False
    try:
        return read_unit(path)["fingerprint"] == fingerprint(unit, suite, get_card(unit.card_ref))
    except CemBenchError:
        return False
