"""`lam`: the Local Attribution Map and Diffusion Index of one SR model on one image and window.

The model sees the PIL-bicubic downscale of the ground truth (as in the LAM reference and our ``sr``
task); the window is in output pixels like CEM's ROI. The signed integrated-gradient attribution
``[3, h, w]`` is summed over channels, made absolute and divided by its maximum; the Diffusion Index
``(1 - Gini) * 100`` of that map says how widely the model draws on its input (see docs/lam.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cem_bench.core.errors import CemBenchError
from cem_bench.cem.estimator import auto_batch_size
from cem_bench.core.geometry import ROI
from cem_bench.core.images import read_rgb, to_tensor
from cem_bench.core.metrics.diffusion import diffusion_index, gini
from cem_bench.report.lam_heatmap import render_lam
from cem_bench.records.io import atomic_write_bytes, write_result
from cem_bench.pipeline.scoring import resolve_device
from cem_bench.core.tasks import Degraded, Task, get_task
from cem_bench.core.tasks.sr import bicubic_resize
from cem_bench.lam.integrated_gradients import PathIntegral, integrated_gradients
from cem_bench.lam.path import BlurPath
from cem_bench.records.lam import build_record
from cem_bench.lam.settings import DEFAULT_WINDOW, LAMSettings
from cem_bench.lam.target import check_window, gradient_magnitude_target


def attribution_map(raw: np.ndarray) -> np.ndarray:
    """LAM's map of a signed attribution ``[C, h, w]``: ``|sum over channels|`` divided by its max.

    The channel sum comes first, so opposite-signed channels cancel (as in the reference).

    >>> attribution_map(np.array([[[1.0, -3.0, 0.0]], [[1.0, 1.0, 0.0]]])).tolist()
    [[1.0, 1.0, 0.0]]
    """
    summed = np.abs(np.asarray(raw, dtype=np.float64).sum(axis=0))
    peak = summed.max()
    if not peak > 0:
        raise CemBenchError("LAM attribution is zero everywhere: the model's output has no gradient in the window")
    return summed / peak


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
        atomic_write_bytes(out / "lam.png", png)
        return write_result(self.record, out / "result.json", schema="lam")


def _sr_card_check(card: Any) -> None:
    if not card.supports("sr"):
        tasks = ", ".join(sorted({entry.task for entry in card.tasks}))
        raise CemBenchError(f"LAM is defined for super-resolution models only; model {card.name} is for task(s) {tasks}")


def _prepare_model(model: Any, scale: int | None, weights: str | Path | None, device: torch.device) -> tuple[Any, Task]:
    """Load (if named), check it is SR, and configure it for ``sr`` at its own scale."""
    from cem_bench.models import load_model
    from cem_bench.models.loading import get_card

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


def lam(
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
        raise CemBenchError("--batch-size must be at least 1")
    gt = read_rgb(image) if isinstance(image, (str, Path)) else np.ascontiguousarray(image, dtype=np.uint8)
    model, task = _prepare_model(model, scale, weights, torch_device)
    gt = task.prepare_gt(gt)
    degraded = task.pair(gt, read_rgb(lq)) if lq is not None else task.degrade(gt, 0)  # sr: no randomness
    height, width = degraded.gt.shape[:2]
    check_window(window, height, width)
    batch = batch_size or min(settings.steps, max(1, auto_batch_size(height * width, torch_device) // 4))

    start = time.perf_counter()
    path = BlurPath(to_tensor(degraded.lq).to(torch_device), settings.sigma, settings.kernel_size)
    with torch.enable_grad():  # a caller's no_grad/inference context must not switch gradients off
        integral = integrated_gradients(model, path, partial(gradient_magnitude_target, window=window),
                                        settings.steps, (height, width), batch, progress)
    seconds = time.perf_counter() - start
    amap = attribution_map(integral.attribution)
    di, gini_value = diffusion_index(amap), gini(amap)
    source = str(image) if isinstance(image, (str, Path)) else "array"
    record = build_record(settings, task, degraded, model, source, window, amap, integral, di, gini_value,
                          seconds, torch_device, batch)
    return LAMResult(attribution=amap, diffusion_index=di, gini=gini_value, integral=integral, window=window,
                     settings=settings, degraded=degraded, task=task, seconds=seconds, record=record)
