"""Smoke checks a model must pass before it is scored: cheap, one small validation image.

Refusals (a :class:`~cem_bench.core.errors.ModelOutputError`): output shape is not the input shape times
the task's scale, output not finite, or two forwards of the same input differ (bitwise on CPU; CEM
compares PSNRs of repeated forwards, so noise from the model itself would read as causal effect). The
checks run on the validation crop and, when given, on the smallest input a suite will feed; a network
that raises on either is refused by its forward failure (:mod:`cem_bench.models.failures`).
A warning only: the model does not beat the baseline on the validation image (bicubic upscaling of
the input for SR, the degraded input itself for DN/DR) - a weak model can still be scored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from cem_bench.core.errors import ModelOutputError
from cem_bench.core.images import read_rgb, to_tensor, to_uint8
from cem_bench.core.tasks import Task

VALIDATION_IMAGE = "skimage:astronaut"
VALIDATION_CROP = (176, 96, 96)  # x, y, size in the 512x512 original: the face, an evaluation image
GPU_REPEAT_TOLERANCE = 1e-4  # non-CPU kernels may reorder sums; far below one 8-bit step (1/255)


def psnr_uint8(output: np.ndarray, reference: np.ndarray) -> float:
    """PSNR (dB) of two ``uint8`` images over all channels, data range 255, no shave.

    >>> a = np.zeros((2, 2, 3), np.uint8)
    >>> round(psnr_uint8(a + 1, a), 4)
    48.1308
    """
    mse = float(np.mean((output.astype(np.float64) - reference.astype(np.float64)) ** 2))
    return float(10 * np.log10(255.0**2 / max(mse, 1e-10)))


@dataclass(frozen=True)
class SmokeReport:
    """What the smoke checks measured for one model on one task."""

    model: str
    task: str
    input_size: tuple[int, int]  # (width, height) of the model input
    output_size: tuple[int, int]
    repeat_max_diff: float  # largest |difference| between two forwards of the same input
    psnr: float  # model output vs ground truth, dB
    baseline_psnr: float
    baseline: str
    seconds: float
    warnings: list[str] = field(default_factory=list)
    smallest_input: tuple[int, int] | None = None  # (width, height) of the suite's smallest input, also checked

    @property
    def gain(self) -> float:
        return self.psnr - self.baseline_psnr

    def summary(self) -> str:
        """One line for the terminal.

        >>> SmokeReport("m", "dn-s50", (8, 8), (8, 8), 0.0, 30.0, 20.0, "the degraded input", 0.1).summary()
        'm on dn-s50: 8x8 -> 8x8, finite, repeatable (max diff 0), PSNR 30.00 dB vs 20.00 dB for the degraded input (+10.00 dB)'
        """
        (w, h), (ow, oh) = self.input_size, self.output_size
        small = "" if self.smallest_input is None else (f"; also {self.smallest_input[0]}x{self.smallest_input[1]} "
                                                        "(the suite's smallest input)")
        return (f"{self.model} on {self.task}: {w}x{h} -> {ow}x{oh}, finite, repeatable (max diff {self.repeat_max_diff:.3g}), "
                f"PSNR {self.psnr:.2f} dB vs {self.baseline_psnr:.2f} dB for {self.baseline} ({self.gain:+.2f} dB){small}")


def validation_image(crop: tuple[int, int, int] = VALIDATION_CROP, image: str = VALIDATION_IMAGE) -> np.ndarray:
    x, y, size = crop
    return np.ascontiguousarray(read_rgb(image)[y : y + size, x : x + size])


def baseline_output(lq: np.ndarray, task: Task) -> tuple[np.ndarray, str]:
    """What the model must beat: PyTorch bicubic upscaling for SR, the degraded input otherwise."""
    if task.scale == 1:
        return lq, "the degraded input"
    upscaled = F.interpolate(to_tensor(lq)[None], scale_factor=task.scale, mode="bicubic", align_corners=False)
    return to_uint8(upscaled[0]), "bicubic upscaling"


def _checked_forward(model: torch.nn.Module, name: str, task: Task, lq: np.ndarray, device: torch.device,
                     what: str) -> tuple[torch.Tensor, float]:
    """Two forwards of ``lq``: the output (shape x scale, finite) and the largest repeat difference (allowed
    only on non-CPU devices, up to :data:`GPU_REPEAT_TOLERANCE`). ``what`` names the input in refusals."""
    x = to_tensor(lq)[None].to(device)
    first, second = model(x), model(x)
    expected = (1, 3, x.shape[2] * task.scale, x.shape[3] * task.scale)
    if not isinstance(first, torch.Tensor) or tuple(first.shape) != expected:
        shape = tuple(first.shape) if isinstance(first, torch.Tensor) else type(first).__name__
        raise ModelOutputError(f"model {name} on {task.label}: output shape {shape}, expected {expected} "
                               f"(input x{task.scale}); is the card's scale right?")
    if not bool(torch.isfinite(first).all()):
        raise ModelOutputError(f"model {name} on {task.label}: output contains NaN or Inf on {what}")
    diff = float((first - second).abs().max())
    tolerance = 0.0 if device.type == "cpu" else GPU_REPEAT_TOLERANCE
    if not diff <= tolerance:
        raise ModelOutputError(f"model {name} on {task.label}: two forwards of the same input differ by up to {diff:.3g} "
                               f"(allowed {tolerance:g} on {device.type}); CEM needs a deterministic model")
    return first, diff


@torch.inference_mode()
def smoke_check(
    model: torch.nn.Module,
    task: Task,
    device: torch.device | str = "cpu",
    seed: int = 0,
    gt: np.ndarray | None = None,
    smallest: np.ndarray | None = None,
) -> SmokeReport:
    """Run the checks of the module docstring on ``gt`` (default: the validation crop), and the same
    checks but the PSNR on ``smallest``, the smallest ground truth a suite will feed (a network too small
    for its pooling or window fails there, not on the 96-px crop).

    ``model`` maps RGB ``[B, 3, h, w]`` in ``[0, 1]`` to ``[B, 3, h*s, w*s]``; a registry model is
    configured for ``task`` first (which refuses a task or scale its card does not cover). A registry
    model's forward failure is one line naming the input size (:mod:`cem_bench.models.failures`).
    """
    name = getattr(model, "name", type(model).__name__)
    if hasattr(model, "configure"):
        model.configure(task)
    device = torch.device(device)
    model = model.to(device).eval()
    degraded = task.degrade(task.prepare_gt(validation_image() if gt is None else gt), seed)
    start = time.perf_counter()
    first, diff = _checked_forward(model, name, task, degraded.lq, device, "the validation image")
    seconds = time.perf_counter() - start
    smallest_input = None
    if smallest is not None:
        small = task.degrade(task.prepare_gt(smallest), seed).lq
        _checked_forward(model, name, task, small, device, "the suite's smallest input")
        smallest_input = (small.shape[1], small.shape[0])
    output = to_uint8(first[0].float())
    baseline, label = baseline_output(degraded.lq, task)
    psnr, base = psnr_uint8(output, degraded.gt), psnr_uint8(baseline, degraded.gt)
    notes = [] if psnr > base else [
        f"model {name} does not improve PSNR on {task.label} over {label} on the validation image "
        f"({psnr:.2f} dB vs {base:.2f} dB)"]
    height, width = degraded.lq.shape[:2]
    return SmokeReport(model=name, task=task.label, input_size=(width, height),
                       output_size=(width * task.scale, height * task.scale), repeat_max_diff=diff, psnr=psnr,
                       baseline_psnr=base, baseline=label, seconds=seconds, warnings=notes, smallest_input=smallest_input)
