"""`score`: one causal effect map for a (model, task, image, ROI), as a validated record and a heatmap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cem_bench.cem.acceleration import Acceleration
from cem_bench.cem.backends import DEFAULT_BACKEND, auto_batch_bytes, check, serve
from cem_bench.cem.estimator import CEMEstimator, CEMResult, CEMRun, SamplingPlan
from cem_bench.cem.fast import FastModel, measure_deviation
from cem_bench.cem.protocol import Protocol
from cem_bench.cem.sharing import SHARINGS
from cem_bench.core.banks import PatchBank, load_bank
from cem_bench.core.device import resolve_device
from cem_bench.core.errors import ParameterError
from cem_bench.core.files import atomic_write_bytes
from cem_bench.core.geometry import ROI
from cem_bench.core.images import as_rgb, source_name, to_tensor
from cem_bench.core.tasks import Degraded, Task, get_task
from cem_bench.core.tasks.sr import bicubic_resize
from cem_bench.models import load_model
from cem_bench.pipeline.cost import RunCost, count_run, time_run
from cem_bench.records.cem import build_multi_record, build_record
from cem_bench.records.io import RESULT_FILE, write_result
from cem_bench.report.heatmap import BOUNDS, render_cem


def heatmap_names(rois: Sequence[ROI]) -> list[str]:
    """The heatmap file(s) a run over ``rois`` writes: ``cem.png`` for one ROI, ``cem-X-Y-SIZE.png`` each for several."""
    if len(rois) == 1:
        return ["cem.png"]
    return [f"cem-{roi.x}-{roi.y}-{roi.size}.png" for roi in rois]


@dataclass
class ScoredRun:
    """A finished run: the estimator's map(s) plus everything needed to record and draw them."""

    run: CEMRun
    degraded: Degraded
    task: Task
    record: dict[str, Any]
    map_records: list[dict[str, Any]]  # each map as a single-ROI record (what a single-ROI run would write)

    @property
    def maps(self) -> list[CEMResult]:
        return self.run.maps

    @property
    def result(self) -> CEMResult:
        """The map of a single-ROI run (several ROIs: :attr:`maps`)."""
        if len(self.run.maps) != 1:
            raise ValueError(f"this run has {len(self.run.maps)} ROIs: use .maps")
        return self.run.maps[0]

    def heatmap_png(self, index: int = 0) -> bytes:
        lq, result = self.degraded.lq, self.run.maps[index]
        if self.task.scale > 1:
            lq = bicubic_resize(lq, lq.shape[1] * self.task.scale, lq.shape[0] * self.task.scale)
        roi = result.roi
        title = f"{self.record['model']['name']} · {self.task.label} · ROI PSNR {result.psnr_roi:.2f} dB"
        return render_cem(ce=result.ce, block=result.grid.block, background=lq,
                          roi=(roi.x, roi.y, roi.size), bound=BOUNDS[self.task.name], title=title)

    def heatmap_names(self) -> list[str]:
        """``cem.png`` for one ROI; ``cem-X-Y-SIZE.png`` per ROI for several."""
        return heatmap_names([m.roi for m in self.run.maps])

    def write(self, out_dir: str | Path) -> Path:
        """Write ``result.json`` and the heatmap(s) into ``out_dir``; each file appears whole or not at all."""
        out = Path(out_dir)
        for index, name in enumerate(self.heatmap_names()):
            atomic_write_bytes(out / name, self.heatmap_png(index))
        return write_result(self.record, out / RESULT_FILE, "result" if len(self.run.maps) == 1 else "multi_result")


def _rois(roi: ROI | str | Sequence[ROI | str]) -> list[ROI]:
    items = [roi] if isinstance(roi, (ROI, str)) else list(roi)
    if not items:
        raise ParameterError("roi", "needs at least one ROI")
    rois = [ROI.parse(item) if isinstance(item, str) else item for item in items]
    if len(set(rois)) != len(rois):
        raise ParameterError("roi", "lists the same ROI twice")
    return rois


@dataclass
class _Prepared:
    """Everything a run needs, checked and loaded: what :func:`score` and :func:`estimate_cost` share."""

    task: Task
    rois: list[ROI]
    degraded: Degraded
    bank: PatchBank
    model: Any
    device: torch.device
    cost: RunCost


def _prepare(model: Any, task: Task | str, image: str | Path | np.ndarray, roi: ROI | str | Sequence[ROI | str],
             lq: str | Path | np.ndarray | None, protocol: Protocol, device: str, batch_size: int | None,
             weights: str | Path | None, acceleration: Acceleration, backend: str) -> _Prepared:
    """Validate every input and load the model: no forward pass yet."""
    torch_device = resolve_device(device)
    task = get_task(task) if isinstance(task, str) else task
    rois = _rois(roi)
    if batch_size is not None and batch_size < 1:
        raise ParameterError("batch_size", "must be at least 1")
    gt = task.prepare_gt(as_rgb(image))
    degraded = task.pair(gt, as_rgb(lq)) if lq is not None else task.degrade(gt, protocol.seed)
    for item in rois:
        item.check_inside(*degraded.gt.shape[:2])
    bank = load_bank(protocol.bank)
    if isinstance(model, (str, Path)):
        model = load_model(model, weights=weights, device=torch_device)
    if hasattr(model, "configure"):
        model.configure(task)
    model = model.to(torch_device).eval()
    cost = count_run(task, degraded, rois, protocol, bank, acceleration, torch_device, batch_size,
                     auto_batch_bytes(backend))
    return _Prepared(task, rois, degraded, bank, model, torch_device, cost)


def estimate_cost(
    model: Any,
    task: Task | str,
    image: str | Path | np.ndarray,
    roi: ROI | str | Sequence[ROI | str],
    lq: str | Path | np.ndarray | None = None,
    protocol: Protocol = Protocol(),
    device: str = "auto",
    batch_size: int | None = None,
    weights: str | Path | None = None,
    acceleration: Acceleration = Acceleration(),
    backend: str = DEFAULT_BACKEND,
) -> RunCost:
    """What :func:`score` with the same arguments would cost: blocks, forwards (at most), time (at
    most, from one timed forward on ``backend``) and peak memory (estimated); see :mod:`cem_bench.pipeline.cost`.

    The gradient screen is not run here, so the counts cover every block; with the screen on, a run
    usually needs far fewer (``score(on_cost=...)`` receives the refined plan before sampling)."""
    prepared = _prepare(model, task, image, roi, lq, protocol, device, batch_size, weights, acceleration, backend)
    check(backend, prepared.device)
    served = serve(backend, prepared.model, prepared.device, config={"task": prepared.task.describe()})
    return time_run(prepared.cost, prepared.model, prepared.degraded.lq, prepared.device, served)


def score(
    model: Any,
    task: Task | str,
    image: str | Path | np.ndarray,
    roi: ROI | str | Sequence[ROI | str],
    lq: str | Path | np.ndarray | None = None,
    protocol: Protocol = Protocol(),
    device: str = "auto",
    batch_size: int | None = None,
    weights: str | Path | None = None,
    progress: bool = True,
    acceleration: Acceleration = Acceleration(),
    checkpoint: str | Path | None = None,
    sharing: str = "auto",
    on_cost: Callable[[RunCost], None] | None = None,
    deadline: float | None = None,
    backend: str = DEFAULT_BACKEND,
) -> ScoredRun:
    """Score one model on one image and one or several ROIs.

    ``image`` (the ground truth) and ``lq`` (an optional own degraded input) are files, ``skimage:NAME``
    or uint8 ``[H, W, 3]`` arrays. ``model`` is a registered name, a card path, or an already loaded model
    (any callable module mapping RGB ``[B, 3, h, w]`` in ``[0, 1]`` to ``[B, 3, H, W]``). All inputs are
    validated before any forward pass, so bad input fails fast with :class:`CemBenchError`.
    ``acceleration`` selects the exact accelerations (they never change the map); ``checkpoint`` is a file
    where finished samples are kept so that an interrupted run resumes where it stopped. With several ROIs
    (a list), interventions are shared between them where that is cheaper (``sharing``: ``auto``,
    ``shared`` or ``separate``; docs/protocol.md) and each ROI's map is the one a single-ROI run gives.

    ``on_cost`` (the CLI's plan print and ``--yes`` gate) is called before any sampling with the
    growing :class:`RunCost` (:mod:`cem_bench.pipeline.cost`): the counts (before any forward), then one
    timed forward's estimate, then (with the gradient screen on) the refined plan once the screen and
    the crop check have run. An exception it raises stops the run there. ``deadline`` (``time.monotonic()``)
    stops sampling with :class:`~cem_bench.core.errors.BudgetExhausted` once reached (with ``checkpoint``,
    a later call resumes where it stopped). ``backend`` runs the forwards (``torch``, or ``onnxruntime`` on
    CPU: each exported graph checked against torch, docs/performance.md); the record's
    ``environment.backend`` says what actually ran.
    """
    if sharing not in SHARINGS:
        raise ParameterError("sharing", f"must be one of {', '.join(SHARINGS)}, got {sharing!r}")
    prepared = _prepare(model, task, image, roi, lq, protocol, device, batch_size, weights, acceleration, backend)
    task, rois, degraded, torch_device = prepared.task, prepared.rois, prepared.degraded, prepared.device
    model, bank = prepared.model, prepared.bank
    check(backend, torch_device)
    if protocol.fast and backend != DEFAULT_BACKEND:
        raise ParameterError("backend", f"must be {DEFAULT_BACKEND} for a fast protocol (got {backend!r})")
    # The task sets what the loaded model bakes in (noise level, scale): part of an exported graph's cache key.
    served = serve(backend, model, torch_device, config={"task": task.describe()})
    on_sampling = None
    if on_cost is not None:
        on_cost(prepared.cost)
        timed = time_run(prepared.cost, model, degraded.lq, torch_device, served)  # the backend that will run
        on_cost(timed)
        if acceleration.screen:  # without it the timed bound is already the run's own
            def on_sampling(plan: SamplingPlan) -> None:
                on_cost(timed.after_screen(plan))
    deviation, loaded, model = None, model, served.model
    if protocol.fast:
        if len(rois) > 1:
            raise ParameterError("fast", "takes one ROI (its deviation is measured on that ROI)")
        roi = rois[0]
        fast_model = FastModel(model, torch_device)
        gt_roi = torch.from_numpy(degraded.gt[roi.y : roi.y + roi.size, roi.x : roi.x + roi.size])
        deviation = measure_deviation(model, fast_model, to_tensor(degraded.lq)[None].to(torch_device),
                                      gt_roi.permute(2, 0, 1).float().to(torch_device), roi)
        model = fast_model
    estimator = CEMEstimator(model, task, bank, protocol, torch_device, batch_size, progress, acceleration,
                             checkpoint, on_sampling, deadline, batch_bytes=auto_batch_bytes(backend))
    run = estimator.run_many(degraded, rois, sharing)
    singles = [build_record(result, protocol, bank.sha256, task, degraded, loaded, source_name(image), torch_device,
                            batch_size, backend=served.report()) for result in run.maps]
    if len(rois) == 1:
        record = singles[0]
    else:
        record = build_multi_record(run, protocol, bank.sha256, task, degraded, loaded, source_name(image),
                                    torch_device, batch_size, backend=served.report())
    if deviation is not None:
        record["fast_deviation"] = deviation
    return ScoredRun(run=run, degraded=degraded, task=task, record=record, map_records=singles)
