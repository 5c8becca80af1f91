"""The JSON record of one LAM run (schema ``cem_bench/schemas/lam.schema.json``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cem_bench.core.geometry import ROI
from cem_bench.core.tasks import Degraded, Task
from cem_bench.lam.integrated_gradients import PathIntegral
from cem_bench.lam.settings import LAMSettings
from cem_bench.records.io import SCHEMA_VERSION, map_to_json, validate_result
from cem_bench.records.provenance import environment, image_identity, model_identity


def build_record(settings: LAMSettings, task: Task, degraded: Degraded, model: Any, image_source: str, window: ROI,
                 attribution: np.ndarray, integral: PathIntegral, di: float, gini_value: float, seconds: float,
                 device: torch.device, batch_size: int) -> dict[str, Any]:
    """Settings, hashes, the normalised map, DI and the completeness check, validated against the schema."""
    targets = integral.targets
    record = {
        "schema_version": SCHEMA_VERSION,
        "method": settings.describe(),
        "task": {**task.describe(), "degradation": degraded.info},
        "model": model_identity(model),
        "image": image_identity(degraded, image_source),
        "window": window.as_dict(),
        "attribution": map_to_json(attribution),
        "attribution_max": float(np.abs(integral.attribution.sum(axis=0)).max()),
        "diffusion_index": round(di, 6),
        "gini": round(gini_value, 6),
        "completeness": {
            "target_input": float(targets[-1]),
            "target_baseline": float(targets[0]),
            "attribution_sum": float(integral.attribution.sum()),
            "gap": integral.completeness_gap,
        },
        "forwards": integral.forwards,
        "seconds": round(seconds, 3),
        "environment": environment(device, batch_size),
    }
    validate_result(record, "lam")
    return record
