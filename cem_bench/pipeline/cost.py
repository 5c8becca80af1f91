"""What a CEM run will cost, said before it starts: blocks, forwards, time and peak memory.

A :class:`RunCost` is built in up to three steps, each printed by ``cem-bench score`` as it comes:

1. :func:`count_run`, before any forward: the grid, the blocks outside the ROI (candidates) and their
   forwards. The coarse stage is exact without the gradient screen (1 unmodified forward plus ``coarse``
   per candidate); the fine stage is at most ``fine`` per candidate (only blocks a coarse sample moved
   get them; adaptive sampling may stop early). The screen can only skip blocks: every count is "at most".
2. :func:`time_run`: one timed forward of the whole input at batch 1 (repeated once when it is quick,
   to leave out warm-up), with the size of every layer's output seen on the way (forward hooks on the
   model's leaf modules).
3. :meth:`RunCost.after_screen`, inside the run once the screen and the crop check have run (on by
   default) and before the first intervention: the blocks actually left and the model input window.

From these:

- **time** = forwards x one forward's seconds (scaled by the window's share of the input's pixels after
  the screen), plus the screen (a forward and a backward per probe, counted as 3 forwards) and the crop
  checks. It bounds the count, not the clock: batching can make a forward cheaper per sample (on a GPU;
  rarely on a CPU, see benchmarks/README.md) or dearer.
- **peak memory** ≈ the model's parameters + the patch bank on the device + the task's cached random
  draws (noise) for every sample, twice (cache and batch copy) + the larger of the batched sampling
  (batch size x (largest layer's inputs and output + the model's input and output)) and the screen's
  backward (every layer's output is kept for it: their sum). On a GPU the measured peak of the timed
  forward is used when it is larger. An estimate, good to a factor of about 2.

A run is *large* (:meth:`RunCost.problems`) when it needs more than :data:`MEMORY_FRACTION` of the
device's memory (the GPU's, or the machine's RAM within its cgroup limit; :data:`FALLBACK_MEMORY` when
unknown), or may take more than :data:`MAX_SECONDS` (1 hour) of work that is sure to run: before the
screen, the whole bound when the screen is off, else the screen's own passes; after the screen, the
refined bound. So a local model on a large image is judged by what the screen leaves (often a few
percent of the blocks), not by a bound it will never approach. ``cem-bench score`` refuses a large
run unless ``--yes`` is given.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from cem_bench.cem.acceleration import Acceleration
from cem_bench.cem.backends import ServedModel
from cem_bench.cem.estimator import SamplingPlan
from cem_bench.cem.protocol import Protocol
from cem_bench.core.banks import PatchBank
from cem_bench.core.device import auto_batch_size, device_memory
from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.core.images import to_tensor
from cem_bench.core.tasks import Degraded, Task

MAX_SECONDS = 3600.0
MEMORY_FRACTION = 0.5
FALLBACK_MEMORY = 8 << 30  # when the device's memory cannot be told
QUICK_FORWARD = 1.0  # seconds: a forward this fast is timed a second time (warm-up left out)
BACKWARD_COST = 3  # a forward and a backward, in forwards


@dataclass(frozen=True)
class ForwardProfile:
    """One forward of the whole input at batch 1: its time and the sizes of the tensors on the way."""

    seconds: float
    largest_bytes: int  # the largest (inputs + output) of any leaf module
    total_bytes: int  # the sum of every leaf module's output (what autograd keeps for a backward)
    input_bytes: int
    output_bytes: int
    measured_bytes: int = 0  # CUDA only: the allocator's peak during the forward, above what was allocated


def _nbytes(value: Any) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(item) for item in value)
    if isinstance(value, dict):
        return sum(_nbytes(item) for item in value.values())
    return 0


def _timed(model: Any, lq: torch.Tensor) -> tuple[float, Any]:
    synchronize = torch.cuda.synchronize if lq.device.type == "cuda" else (lambda device=None: None)
    with torch.inference_mode():
        synchronize(lq.device)
        start = time.perf_counter()
        output = model(lq)
        synchronize(lq.device)
    return time.perf_counter() - start, output


def profile_forward(model: Any, lq: torch.Tensor) -> ForwardProfile:
    """Time one forward of ``model`` on ``lq`` (``[1, 3, h, w]``) and record its layers' tensor sizes."""
    sizes: list[tuple[int, int]] = []  # (inputs + output, output) per leaf module call
    handles = []
    if isinstance(model, torch.nn.Module):
        def record(module: torch.nn.Module, inputs: Any, output: Any) -> None:
            out = _nbytes(output)
            sizes.append((_nbytes(inputs) + out, out))

        handles = [module.register_forward_hook(record) for module in model.modules() if not any(module.children())]
    cuda = lq.device.type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats(lq.device)
    allocated = torch.cuda.memory_allocated(lq.device) if cuda else 0
    try:
        seconds, output = _timed(model, lq)
    finally:
        for handle in handles:
            handle.remove()
    measured = torch.cuda.max_memory_allocated(lq.device) - allocated if cuda else 0
    if seconds < QUICK_FORWARD:  # warm-up (allocator, kernels, cuDNN) weighs on a first quick forward
        seconds = min(seconds, _timed(model, lq)[0])
    in_bytes, out_bytes = _nbytes(lq), _nbytes(output)
    return ForwardProfile(seconds=seconds, largest_bytes=max((size for size, _ in sizes), default=in_bytes + out_bytes),
                          total_bytes=sum(out for _, out in sizes) or out_bytes, input_bytes=in_bytes,
                          output_bytes=out_bytes, measured_bytes=max(0, int(measured)))


@dataclass(frozen=True)
class RunCost:
    """The plan of one CEM run: counted, then timed (:func:`time_run`), then refined after the screen."""

    image: tuple[int, int]  # ground truth / model output, (height, width)
    input: tuple[int, int]  # model input, (height, width)
    block: int
    rows: int
    cols: int
    roi_blocks: int
    candidates: int  # blocks that get coarse samples (all outside the ROI; after the screen: those left)
    coarse: int
    fine: int
    screen: bool
    screen_passes: int  # forward + backward passes of the screen (0 without it)
    crop_checks: int  # at most this many forwards on candidate windows
    batch_size: int
    bank_bytes: int
    draw_bytes: int  # the task's random draws of one sample (noise); 0 when it has none
    memory_limit: int
    forward: ForwardProfile | None = None
    parameter_bytes: int = 0
    sampling: SamplingPlan | None = None  # set by after_screen
    backend: str = "torch"  # what ran the timed forward (torch where the onnxruntime backend fell back)

    @property
    def blocks(self) -> int:
        return self.rows * self.cols

    @property
    def coarse_forwards(self) -> int:
        """Exact without the screen (and after it), an upper bound before it."""
        return self.candidates * self.coarse

    @property
    def fine_forwards(self) -> int:
        """An upper bound: only blocks a coarse sample moved get fine samples."""
        return self.candidates * self.fine

    @property
    def forwards(self) -> int:
        """At most this many forwards (as a result's ``forwards`` counts them: the unmodified one included)."""
        return 1 + self.coarse_forwards + self.fine_forwards

    @property
    def _share(self) -> float:
        """Pixels of a sampling forward's input relative to the whole input (1 before the screen)."""
        if self.sampling is None:
            return 1.0
        (h, w), (in_h, in_w) = self.sampling.input_shape, self.input
        return h * w / max(1, in_h * in_w)

    @property
    def screen_seconds(self) -> float | None:
        """Time of the screen and the crop check, which run before any intervention."""
        if self.forward is None:
            return None
        return self.forward.seconds * (self.screen_passes * BACKWARD_COST + self.crop_checks)

    @property
    def seconds(self) -> float | None:
        """At most this long at the timed forward's speed; None before :func:`time_run`. After the screen,
        the time still to come (the screen itself is done)."""
        if self.forward is None:
            return None
        sampling = self.forward.seconds * self._share * self.forwards
        return sampling if self.sampling is not None else sampling + (self.screen_seconds or 0.0)

    @property
    def peak_bytes(self) -> int | None:
        """Estimated peak memory on the device (module docstring); None before :func:`time_run`."""
        profile = self.forward
        if profile is None:
            return None
        per_sample = max(profile.largest_bytes + profile.input_bytes + profile.output_bytes, profile.measured_bytes)
        sampling = int(self.batch_size * per_sample * self._share)
        screen = profile.total_bytes + 2 * profile.input_bytes + profile.output_bytes
        if self.sampling is not None or not self.screen:
            screen = 0  # done, or never run
        draws = 2 * self.candidates * (self.coarse + self.fine) * self.draw_bytes
        return self.bank_bytes + draws + self.parameter_bytes + max(sampling, screen)

    @property
    def too_long(self) -> bool:
        """More than :data:`MAX_SECONDS` of work that is sure to run (module docstring)."""
        if self.forward is None:
            return False
        sure = self.seconds if self.sampling is not None or not self.screen else self.screen_seconds
        return (sure or 0.0) > MAX_SECONDS

    @property
    def too_big(self) -> bool:
        """More than :data:`MEMORY_FRACTION` of the device's memory (False before :func:`time_run`)."""
        return self.peak_bytes is not None and self.peak_bytes > self.memory_limit

    def problems(self) -> list[str]:
        """Why this run is large, for a person (empty when it is not)."""
        found = []
        if self.too_long:
            sure = self.seconds if self.sampling is not None or not self.screen else self.screen_seconds
            what = "its gradient screen alone " if self.sampling is None and self.screen else ""
            found.append(f"{what}may take up to {format_seconds(sure or 0.0)} (limit {format_seconds(MAX_SECONDS)})")
        if self.too_big:
            found.append(f"may need about {format_bytes(self.peak_bytes or 0)} of memory "
                         f"(limit {format_bytes(self.memory_limit)})")
        return found

    def after_screen(self, plan: SamplingPlan) -> RunCost:
        """The refined plan once the screen and the crop check have run."""
        return replace(self, candidates=plan.candidates, batch_size=plan.batch_size, sampling=plan)

    def describe(self) -> list[str]:
        """The lines for a person of the latest step: the counts, the timed estimate, or the refined plan."""
        (height, width), (in_h, in_w) = self.image, self.input
        if self.forward is None:
            return [
                f"image {width}x{height} (model input {in_w}x{in_h}): {self.cols}x{self.rows} blocks of {self.block} px, "
                f"{self.roi_blocks} in the ROI, {self.candidates} to sample",
                f"at most {self.forwards:,} forwards: 1 + {self.coarse_forwards:,} coarse ({self.coarse} per block) + at "
                f"most {self.fine_forwards:,} fine ({self.fine} per moved block)"
                + ("; the gradient screen may skip many blocks" if self.screen else ""),
            ]
        memory = f"peak memory about {format_bytes(self.peak_bytes or 0)} at batch {self.batch_size}"
        if self.sampling is None:
            screen = f"; the screen first (about {format_seconds(self.screen_seconds or 0.0)})" if self.screen else ""
            on = "" if self.backend == "torch" else f" on {self.backend}"
            return [f"one forward took {self.forward.seconds:.3g} s{on}: at most {format_seconds(self.seconds or 0.0)} for "
                    f"every block{screen}; {memory}"]
        h, w = self.sampling.input_shape
        return [f"after the screen: {self.candidates} blocks to sample ({self.sampling.screened} skipped), model input "
                f"{w}x{h}: at most {self.forwards:,} forwards, at most {format_seconds(self.seconds or 0.0)}; {memory}"]


def format_seconds(seconds: float) -> str:
    """
    >>> format_seconds(0.42), format_seconds(42), format_seconds(600), format_seconds(3600), format_seconds(27000)
    ('0.42 s', '42 s', '10 min', '1 h', '7.5 h')
    """
    if seconds < 100:
        return f"{seconds:.2g} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 360_000:
        return f"{seconds / 3600:.1f}".removesuffix(".0") + " h"
    return f"{seconds / 86400:.0f} days"


def format_bytes(count: float) -> str:
    """
    >>> format_bytes(3 << 20), format_bytes(12.5 * (1 << 30))
    ('3 MiB', '12.5 GiB')
    """
    if count < 1 << 30:
        return f"{max(count, 1 << 20) / (1 << 20):.0f} MiB"
    return f"{count / (1 << 30):.1f} GiB"


def count_run(task: Task, degraded: Degraded, roi: ROI | Sequence[ROI], protocol: Protocol, bank: PatchBank,
              acceleration: Acceleration, device: torch.device, batch_size: int | None,
              batch_bytes: int | None = None) -> RunCost:
    """The plan of a run without any forward pass (module docstring). With several ROIs sharing forwards,
    the blocks inside every ROI are the ones no intervention needs: an upper bound for any sharing."""
    height, width = degraded.gt.shape[:2]
    grid = BlockGrid(height, width, protocol.block, task.scale)
    rois = [roi] if isinstance(roi, ROI) else list(roi)
    inside_all = np.logical_and.reduce([grid.roi_mask(item) for item in rois])
    roi_blocks = int(inside_all.sum())
    bi = grid.in_block
    draw = task.draw(torch.Generator().manual_seed(0), 1, (3, bi, bi))
    limit = device_memory(device)
    return RunCost(
        image=(height, width), input=(int(degraded.lq.shape[0]), int(degraded.lq.shape[1])), block=protocol.block,
        rows=grid.rows, cols=grid.cols, roi_blocks=roi_blocks, candidates=grid.n_blocks - roi_blocks,
        coarse=protocol.coarse, fine=protocol.fine, screen=acceleration.screen,
        screen_passes=acceleration.probes + 1 if acceleration.screen else 0,
        crop_checks=len(acceleration.aligns) if acceleration.screen and acceleration.crop else 0,
        batch_size=batch_size or auto_batch_size(height * width, device, batch_bytes),
        bank_bytes=len(bank) * 3 * bi * bi * 4,  # float32 on the device, at input resolution
        draw_bytes=0 if draw is None else draw.numel() * draw.element_size(),
        memory_limit=int(MEMORY_FRACTION * limit) if limit else FALLBACK_MEMORY,
    )


def time_run(cost: RunCost, model: Any, lq: np.ndarray, device: torch.device, served: ServedModel | None = None) -> RunCost:
    """``cost`` with one timed forward of ``model`` on the whole input ``lq`` (uint8 ``[h, w, 3]``). With
    ``served`` (``model`` as a backend serves it; the same instance the run will use), the seconds are the
    served model's, after a first forward that pays for an onnxruntime export (or cache hit) and its check,
    which the run then reuses; the layer sizes are still read from the torch module."""
    parameters = 0
    if isinstance(model, torch.nn.Module):
        parameters = sum(t.numel() * t.element_size() for t in (*model.parameters(), *model.buffers()))
    x = to_tensor(lq)[None].to(device)
    profile = profile_forward(model, x)
    backend = "torch"
    if served is not None and served.model is not model:
        with torch.inference_mode():
            served.model(x)
        seconds = _timed(served.model, x)[0]
        if seconds < QUICK_FORWARD:
            seconds = min(seconds, _timed(served.model, x)[0])
        profile, backend = replace(profile, seconds=seconds), str(served.report()["used"])
    return replace(cost, forward=profile, parameter_bytes=parameters, backend=backend)


__all__ = ["MAX_SECONDS", "MEMORY_FRACTION", "ForwardProfile", "RunCost", "count_run", "format_bytes",
           "format_seconds", "profile_forward", "time_run"]
