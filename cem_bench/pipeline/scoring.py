"""`score`: one causal effect map for a (model, task, image, ROI), as a validated record and a heatmap."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from cem_bench.cem.acceleration import Acceleration
from cem_bench.core.banks import load_bank
from cem_bench.core.errors import CemBenchError
from cem_bench.cem.estimator import CEMEstimator, CEMResult
from cem_bench.cem.fast import FastModel, measure_deviation
from cem_bench.core.geometry import ROI
from cem_bench.core.images import read_rgb, to_tensor
from cem_bench.core.metrics import effect_counts, effect_range
from cem_bench.cem.protocol import Protocol
from cem_bench.records.provenance import environment, image_identity, model_identity
from cem_bench.report.heatmap import BOUNDS, render_cem
from cem_bench.records.io import SCHEMA_VERSION, atomic_write_bytes, map_to_json, validate_result, write_result
from cem_bench.core.tasks import Degraded, Task, get_task
from cem_bench.core.tasks.sr import bicubic_resize


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; asking for CUDA without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise CemBenchError("--device cuda asked for, but no CUDA device is available")
    if name != "cpu" and not name.startswith("cuda"):
        raise CemBenchError(f"--device must be auto, cpu or cuda[:N], got {name!r}")
    return torch.device(name)


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


def build_record(result: CEMResult, protocol: Protocol, bank_sha256: str, task: Task, degraded: Degraded,
                 model: Any, image_source: str, device: torch.device, batch_size: int | None) -> dict[str, Any]:
    grid = result.grid
    record = {
        "schema_version": SCHEMA_VERSION,
        "protocol": protocol.describe(bank_sha256),
        "task": {**task.describe(), "degradation": degraded.info},
        "model": model_identity(model),
        "image": image_identity(degraded, image_source),
        "roi": result.roi.as_dict(),
        "grid": {"rows": grid.rows, "cols": grid.cols, "block": grid.block, "in_block": grid.in_block,
                 "roi_blocks": int(result.roi_mask.sum())},
        "psnr_roi": round(result.psnr_roi, 6),
        "ce": map_to_json(result.ce),
        "n_samples": result.n_samples.tolist(),
        "stderr": map_to_json(result.stderr),
        "counts": effect_counts(result.ce),
        "effect_range": effect_range(result.ce),
        "fine_blocks": result.fine_blocks,
        "forwards": result.forwards,
        "seconds": round(result.seconds, 3),
        "timings": {key: round(value, 3) for key, value in result.timings.items()},
        "acceleration": result.acceleration,
        "environment": environment(device, batch_size, resumed_samples=result.resumed_samples),
    }
    validate_result(record)
    return record


def score(
    model: Any,
    task: Task | str,
    image: str | Path,
    roi: ROI | str,
    lq: str | Path | None = None,
    protocol: Protocol = Protocol(),
    device: str = "auto",
    batch_size: int | None = None,
    weights: str | Path | None = None,
    progress: bool = True,
    acceleration: Acceleration = Acceleration(),
    checkpoint: str | Path | None = None,
) -> ScoredRun:
    """Score one model on one image and ROI.

    ``model`` is a registered name, a card path, or an already loaded model (any callable module
    mapping RGB ``[B, 3, h, w]`` in ``[0, 1]`` to ``[B, 3, H, W]``). All inputs are validated
    before any forward pass, so bad input fails fast with :class:`CemBenchError`. ``acceleration``
    selects the exact accelerations (they never change the map); ``checkpoint`` is a file where
    finished samples are kept so that an interrupted run resumes where it stopped.
    """
    from cem_bench.models import load_model

    torch_device = resolve_device(device)
    task = get_task(task) if isinstance(task, str) else task
    roi = ROI.parse(roi) if isinstance(roi, str) else roi
    if batch_size is not None and batch_size < 1:
        raise CemBenchError("--batch-size must be at least 1")
    gt = task.prepare_gt(read_rgb(image))
    degraded = task.pair(gt, read_rgb(lq)) if lq is not None else task.degrade(gt, protocol.seed)
    roi.check_inside(*degraded.gt.shape[:2])
    bank = load_bank(protocol.bank)
    if isinstance(model, (str, Path)):
        model = load_model(model, weights=weights, device=torch_device)
    if hasattr(model, "configure"):
        model.configure(task)
    model = model.to(torch_device).eval()
    deviation, loaded = None, model
    if protocol.fast:
        fast_model = FastModel(model, torch_device)
        gt_roi = torch.from_numpy(degraded.gt[roi.y : roi.y + roi.size, roi.x : roi.x + roi.size])
        deviation = measure_deviation(model, fast_model, to_tensor(degraded.lq)[None].to(torch_device),
                                      gt_roi.permute(2, 0, 1).float().to(torch_device), roi)
        model = fast_model
    estimator = CEMEstimator(model, task, bank, protocol, torch_device, batch_size, progress, acceleration, checkpoint)
    result = estimator.run(degraded, roi)
    record = build_record(result, protocol, bank.sha256, task, degraded, loaded, str(image), torch_device, batch_size)
    if deviation is not None:
        record["fast_deviation"] = deviation
    return ScoredRun(result=result, degraded=degraded, task=task, record=record)
