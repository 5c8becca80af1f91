"""LAM's attribution of one loaded SR model for one window: the map, its Diffusion Index and Gini.

The model sees the degraded input ``degraded.lq``; the window is in output pixels like CEM's ROI. The
signed integrated-gradient attribution ``[3, h, w]`` is summed over channels, made absolute and divided
by its maximum; the Diffusion Index ``(1 - Gini) * 100`` of that map says how widely the model draws on
its input (see docs/lam.md). Loading models by name, drawing and writing are the pipeline's
(:mod:`cem_bench.pipeline.attribution`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import torch

from cem_bench.core.device import auto_batch_size
from cem_bench.core.errors import CemBenchError
from cem_bench.core.geometry import ROI
from cem_bench.core.images import to_tensor
from cem_bench.core.metrics.diffusion import diffusion_index, gini
from cem_bench.core.tasks import Degraded
from cem_bench.lam.integrated_gradients import PathIntegral, integrated_gradients
from cem_bench.lam.path import BlurPath
from cem_bench.lam.settings import LAMSettings
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
class Attribution:
    """One LAM of a loaded model: the normalised map ``[h, w]``, its DI and Gini, and the path integral."""

    attribution: np.ndarray
    diffusion_index: float
    gini: float
    integral: PathIntegral
    seconds: float
    batch_size: int


def attribute(model: Any, degraded: Degraded, window: ROI, settings: LAMSettings, device: torch.device,
              batch_size: int | None = None, progress: bool = False) -> Attribution:
    """LAM of a loaded, configured SR ``model`` for ``window`` of the output of ``degraded.lq``.

    ``batch_size`` path steps go through the model at once (default: automatic); it does not change
    the result beyond float32 reduction order in the model.
    """
    height, width = degraded.gt.shape[:2]
    check_window(window, height, width)
    batch = batch_size or min(settings.steps, max(1, auto_batch_size(height * width, device) // 4))
    start = time.perf_counter()
    path = BlurPath(to_tensor(degraded.lq).to(device), settings.sigma, settings.kernel_size)
    with torch.enable_grad():  # a caller's no_grad/inference context must not switch gradients off
        integral = integrated_gradients(model, path, partial(gradient_magnitude_target, window=window),
                                        settings.steps, (height, width), batch, progress)
    seconds = time.perf_counter() - start
    amap = attribution_map(integral.attribution)
    return Attribution(attribution=amap, diffusion_index=diffusion_index(amap), gini=gini(amap), integral=integral,
                       seconds=seconds, batch_size=batch)
