"""`compute_lam`: the Local Attribution Map and Diffusion Index of one SR model on one image and window,
as a validated record and a heatmap (the model named or given, the image a path or an array).

The model sees the PIL-bicubic downscale of the ground truth (as in the LAM reference and our ``sr``
task); the engine is :func:`cem_bench.lam.attribution.attribute`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cem_bench.core.device import resolve_device
from cem_bench.core.errors import CemBenchError, ParameterError
from cem_bench.core.files import atomic_write_bytes
from cem_bench.core.geometry import ROI
from cem_bench.core.images import as_rgb, source_name
from cem_bench.core.tasks import Degraded, Task, get_task
from cem_bench.core.tasks.sr import bicubic_resize
from cem_bench.lam.attribution import attribute
from cem_bench.lam.integrated_gradients import PathIntegral
from cem_bench.lam.settings import DEFAULT_WINDOW, LAMSettings
from cem_bench.models import get_card, load_model
from cem_bench.records.io import RESULT_FILE, write_result
from cem_bench.records.lam import build_record
from cem_bench.report.lam_heatmap import render_lam

LAM_HEATMAP = "lam.png"


@dataclass
class LAMResult:
    """One LAM: the normalised map ``[h, w]``, its Diffusion Index, and everything to record and draw it."""

    attribution: np.ndarray
    diffusion_index: float
    gini: float
    integral: PathIntegral
    window: ROI
    settings: LAMSettings
    degraded: Degraded
    task: Task
    seconds: float
    record: dict[str, Any]

    def heatmap_png(self) -> bytes:
        lq, scale = self.degraded.lq, self.task.scale
        background = bicubic_resize(lq, lq.shape[1] * scale, lq.shape[0] * scale)
        title = f"{self.record['model']['name']} · {self.task.label} · LAM DI {self.diffusion_index:.2f}"
        return render_lam(self.attribution, scale, background, (self.window.x, self.window.y, self.window.size), title)

    def write(self, out_dir: str | Path) -> Path:
        """Write ``lam.png`` and ``result.json`` (schema ``lam``) into ``out_dir``, each whole or absent."""
        out = Path(out_dir)
        png = self.heatmap_png()
        atomic_write_bytes(out / LAM_HEATMAP, png)
        return write_result(self.record, out / RESULT_FILE, schema="lam")


def _sr_card_check(card: Any) -> None:
    if "sr" not in card.task_names:
        tasks = ", ".join(sorted({entry.task for entry in card.tasks}))
        raise CemBenchError(f"LAM is defined for super-resolution models only; model {card.name} is for task(s) {tasks}")


def _prepare_model(model: Any, scale: int | None, weights: str | Path | None, device: torch.device) -> tuple[Any, Task]:
    """Load (if named), check it is SR, and configure it for ``sr`` at its own scale."""
    if isinstance(model, (str, Path)):
        _sr_card_check(get_card(model))  # refuse before reading any weights
        model = load_model(model, weights=weights, device=device)
    elif weights is not None:
        raise CemBenchError("weights can only be given with a registered model name or a card path")
    card = getattr(model, "card", None)
    if card is not None:
        _sr_card_check(card)
        own_scale = card.scale
    else:
        own_scale = getattr(model, "scale", None) if scale is None else scale
    if own_scale is None:
        raise CemBenchError("LAM needs the model's scale: pass scale= or give the module a `scale` attribute")
    if scale is not None and scale != own_scale:
        raise CemBenchError(f"model upscales x{own_scale}, but scale x{scale} was asked for")
    if int(own_scale) < 2:
        raise CemBenchError(f"LAM is defined for super-resolution models only; this model has scale {own_scale}")
    task = get_task("sr", scale=int(own_scale))
    if hasattr(model, "configure"):
        model.configure(task)
    return model.to(device).eval(), task


def compute_lam(
    model: Any,
    image: str | Path | np.ndarray,
    window: ROI | str,
    lq: str | Path | None = None,
    settings: LAMSettings = LAMSettings(),
    scale: int | None = None,
    device: str = "auto",
    batch_size: int | None = None,
    weights: str | Path | None = None,
    progress: bool = False,
) -> LAMResult:
    """LAM of an SR ``model`` (registered name, card path, or module) for ``window`` of ``image``'s output.

    ``image`` is the ground truth (path, ``skimage:NAME`` or ``uint8 [H, W, 3]``); the model input is
    its bicubic downscale unless ``lq`` gives one. ``window`` is ``X,Y[,SIZE]`` in output pixels (size
    16 by default). A bare module needs ``scale`` (argument or attribute). ``batch_size`` path steps
    go through the model at once (default: automatic); it does not change the result beyond float32
    reduction order in the model. Bad input raises :class:`CemBenchError` before any forward pass.
    """
    torch_device = resolve_device(device)
    window = ROI.parse(window, default_size=DEFAULT_WINDOW) if isinstance(window, str) else window
    if batch_size is not None and batch_size < 1:
        raise ParameterError("batch_size", "must be at least 1")
    gt = as_rgb(image)
    model, task = _prepare_model(model, scale, weights, torch_device)
    gt = task.prepare_gt(gt)
    degraded = task.pair(gt, as_rgb(lq)) if lq is not None else task.degrade(gt, 0)  # sr: no randomness
    found = attribute(model, degraded, window, settings, torch_device, batch_size, progress)
    source = source_name(image)
    record = build_record(settings, task, degraded, model, source, window, found.attribution, found.integral,
                          found.diffusion_index, found.gini, found.seconds, torch_device, found.batch_size)
    return LAMResult(attribution=found.attribution, diffusion_index=found.diffusion_index, gini=found.gini,
                     integral=found.integral, window=window, settings=settings, degraded=degraded, task=task,
                     seconds=found.seconds, record=record)
