"""`score`: one causal effect map for a (model, task, image, ROI), as a validated record and a heatmap."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cem_bench.cem.acceleration import Acceleration
from cem_bench.cem.backends import DEFAULT_BACKEND, check, serve
from cem_bench.cem.estimator import CEMEstimator, CEMResult
from cem_bench.cem.fast import FastModel, measure_deviation
from cem_bench.cem.protocol import Protocol
from cem_bench.core.banks import load_bank
from cem_bench.core.device import resolve_device
from cem_bench.core.errors import ParameterError
from cem_bench.core.files import atomic_write_bytes
from cem_bench.core.geometry import ROI
from cem_bench.core.images import as_rgb, source_name, to_tensor
from cem_bench.core.tasks import Degraded, Task, get_task
from cem_bench.core.tasks.sr import bicubic_resize
from cem_bench.models import load_model
from cem_bench.records.cem import build_record
from cem_bench.records.io import write_result
from cem_bench.report.heatmap import BOUNDS, render_cem


@dataclass
class ScoredRun:
    """A finished run: the estimator's map plus everything needed to record and draw it."""

    result: CEMResult
    degraded: Degraded
    task: Task
    record: dict[str, Any]

    def heatmap_png(self) -> bytes:
        lq = self.degraded.lq
        if self.task.scale > 1:
            lq = bicubic_resize(lq, lq.shape[1] * self.task.scale, lq.shape[0] * self.task.scale)
        roi = self.result.roi
        title = f"{self.record['model']['name']} · {self.task.label} · ROI PSNR {self.result.psnr_roi:.2f} dB"
        return render_cem(ce=self.result.ce, block=self.result.grid.block, background=lq,
                          roi=(roi.x, roi.y, roi.size), bound=BOUNDS[self.task.name], title=title)

    def write(self, out_dir: str | Path) -> Path:
        """Write ``result.json`` and ``cem.png`` into ``out_dir``; each file appears whole or not at all."""
        out = Path(out_dir)
        png = self.heatmap_png()
        atomic_write_bytes(out / "cem.png", png)
        return write_result(self.record, out / "result.json")


def score(
    model: Any,
    task: Task | str,
    image: str | Path | np.ndarray,
    roi: ROI | str,
    lq: str | Path | np.ndarray | None = None,
    protocol: Protocol = Protocol(),
    device: str = "auto",
    batch_size: int | None = None,
    weights: str | Path | None = None,
    progress: bool = True,
    acceleration: Acceleration = Acceleration(),
    checkpoint: str | Path | None = None,
    backend: str = DEFAULT_BACKEND,
) -> ScoredRun:
    """Score one model on one image and ROI.

    ``image`` (the ground truth) and ``lq`` (an optional own degraded input) are files, ``skimage:NAME``
    or uint8 ``[H, W, 3]`` arrays. ``model`` is a registered name, a card path, or an already loaded model (any callable module
    mapping RGB ``[B, 3, h, w]`` in ``[0, 1]`` to ``[B, 3, H, W]``). All inputs are validated
    before any forward pass, so bad input fails fast with :class:`CemBenchError`. ``acceleration``
    selects the exact accelerations (they never change the map); ``checkpoint`` is a file where
    finished samples are kept so that an interrupted run resumes where it stopped. ``backend`` runs the
    forwards (``torch``, or ``onnxruntime`` on CPU: each exported graph checked against torch, docs/performance.md);
    the record's ``environment.backend`` says what actually ran.
    """
    torch_device = resolve_device(device)
    task = get_task(task) if isinstance(task, str) else task
    roi = ROI.parse(roi) if isinstance(roi, str) else roi
    if batch_size is not None and batch_size < 1:
        raise ParameterError("batch_size", "must be at least 1")
    check(backend, torch_device)
    if protocol.fast and backend != DEFAULT_BACKEND:
        raise ParameterError("backend", f"must be {DEFAULT_BACKEND} for a fast protocol (got {backend!r})")
    gt = task.prepare_gt(as_rgb(image))
    degraded = task.pair(gt, as_rgb(lq)) if lq is not None else task.degrade(gt, protocol.seed)
    roi.check_inside(*degraded.gt.shape[:2])
    bank = load_bank(protocol.bank)
    if isinstance(model, (str, Path)):
        model = load_model(model, weights=weights, device=torch_device)
    if hasattr(model, "configure"):
        model.configure(task)
    model = model.to(torch_device).eval()
    # The task sets what the loaded model bakes in (noise level, scale): part of an exported graph's cache key.
    served = serve(backend, model, torch_device, config={"task": task.describe()})
    deviation, loaded, model = None, model, served.model
    if protocol.fast:
        fast_model = FastModel(model, torch_device)
        gt_roi = torch.from_numpy(degraded.gt[roi.y : roi.y + roi.size, roi.x : roi.x + roi.size])
        deviation = measure_deviation(model, fast_model, to_tensor(degraded.lq)[None].to(torch_device),
                                      gt_roi.permute(2, 0, 1).float().to(torch_device), roi)
        model = fast_model
    estimator = CEMEstimator(model, task, bank, protocol, torch_device, batch_size, progress, acceleration, checkpoint)
    result = estimator.run(degraded, roi)
    record = build_record(result, protocol, bank.sha256, task, degraded, loaded, source_name(image), torch_device, batch_size,
                          backend=served.report())
    if deviation is not None:
        record["fast_deviation"] = deviation
    return ScoredRun(result=result, degraded=degraded, task=task, record=record)

