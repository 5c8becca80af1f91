"""The record of one causal effect map: what ``result.json`` of ``cem-bench score`` holds."""

from __future__ import annotations

from typing import Any

import torch

from cem_bench.cem.estimator import CEMResult, CEMRun
from cem_bench.cem.protocol import Protocol
from cem_bench.core.metrics import effect_counts, effect_range, input_psnr, map_metrics
from cem_bench.core.metrics.catalog import stored_metric
from cem_bench.core.tasks import Degraded, Task
from cem_bench.records.io import SCHEMA_VERSION, map_to_json, validate_result
from cem_bench.records.provenance import environment, image_identity, model_identity


def _identity(protocol: Protocol, bank_sha256: str, task: Task, degraded: Degraded, model: Any,
              image_source: str) -> dict[str, Any]:
    """What was scored: protocol (with the bank's hash), task, model and image identities."""
    return {
        "schema_version": SCHEMA_VERSION,
        "protocol": protocol.describe(bank_sha256),
        "task": {**task.describe(), "degradation": degraded.info},
        "model": model_identity(model),
        "image": image_identity(degraded, image_source),
    }


def _map_fields(result: CEMResult, degraded: Degraded) -> dict[str, Any]:
    """One ROI's map as stored: PSNR (the model's, the degraded input's and the gain), effects, sample
    counts, standard errors, counts and range."""
    psnr_roi, psnr_input = round(result.psnr_roi, 6), input_psnr(degraded.gt, degraded.lq, result.roi)
    return {
        "psnr_roi": psnr_roi,
        # The degraded input's ROI PSNR (SR: PIL bicubic upscaled) and the gain, computed as the runner's
        # unit metrics are, so `score` and a suite unit of the same (model, task, image, ROI) agree.
        "psnr_input": stored_metric(psnr_input),
        "psnr_gain": stored_metric(psnr_roi - psnr_input),  # what the model restores; <= 0: nothing
        "ce": map_to_json(result.ce),
        "n_samples": result.n_samples.tolist(),
        "stderr": map_to_json(result.stderr),
        "counts": effect_counts(result.ce),
        "effect_range": effect_range(result.ce),
    }


def build_record(result: CEMResult, protocol: Protocol, bank_sha256: str, task: Task, degraded: Degraded,
                 model: Any, image_source: str, device: torch.device, batch_size: int | None,
                 backend: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record of one map; ``model`` is the loaded model (not the backend serving it), ``backend`` what
    ran its forwards (``ServedModel.report()``; left out when unknown)."""
    grid = result.grid
    record = {
        **_identity(protocol, bank_sha256, task, degraded, model, image_source),
        "roi": result.roi.as_dict(),
        "grid": {"rows": grid.rows, "cols": grid.cols, "block": grid.block, "in_block": grid.in_block,
                 "roi_blocks": int(result.roi_mask.sum())},
        **_map_fields(result, degraded),
        "fine_blocks": result.fine_blocks,
        "forwards": result.forwards,
        "seconds": round(result.seconds, 3),
        "timings": {key: round(value, 3) for key, value in result.timings.items()},
        "acceleration": result.acceleration,
        "environment": environment(device, batch_size, backend=backend, resumed_samples=result.resumed_samples),
    }
    validate_result(record)
    return record


def build_multi_record(run: CEMRun, protocol: Protocol, bank_sha256: str, task: Task, degraded: Degraded,
                       model: Any, image_source: str, device: torch.device, batch_size: int | None,
                       backend: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record of several ROIs of one image (kind ``multi_result``): one entry of ``maps`` per ROI."""
    grid = run.maps[0].grid
    maps = [{
        "roi": result.roi.as_dict(),
        **_map_fields(result, degraded),
        "metrics": {name: stored_metric(value) for name, value in map_metrics(result.ce, result.roi, grid).items()},
        "fine_blocks": result.fine_blocks,
        "forwards": result.forwards,
        "acceleration": result.acceleration,
    } for result in run.maps]
    record = {
        **_identity(protocol, bank_sha256, task, degraded, model, image_source),
        "grid": {"rows": grid.rows, "cols": grid.cols, "block": grid.block, "in_block": grid.in_block},
        "maps": maps,
        "groups": run.groups,
        "forwards": run.forwards,
        "seconds": round(run.seconds, 3),
        "environment": environment(device, batch_size, backend=backend,
                                   resumed_samples=sum(run.maps[group[0]].resumed_samples for group in run.groups)),
    }
    validate_result(record, "multi_result")
    return record
