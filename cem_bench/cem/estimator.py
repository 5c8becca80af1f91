"""The CEM estimator: coarse-to-fine interventional sampling, batched and built on the device.

For every non-ROI block ``b`` of the output grid, ``CE(b) = PSNR_roi(model(x)) - E[PSNR_roi(model(x
with block b := degraded random patch))]``. Stage 1 draws ``coarse`` interventions per block; blocks
where any coarse sample moved the ROI PSNR by at least ``tol`` get ``fine`` further interventions
(``sampling="adaptive"``: in rounds of ``step``, stopping early by a pre-registered rule); the estimate
is the fine mean where it exists, else the coarse mean (the reference does not pool the two);
``|CE| < tol`` is set to 0. Each block's draws come from its own seeded generator (see
``seeding.py``), so the map does not depend on the batch size, on which blocks were evaluated, or on
an interruption (``checkpoint``). Blocks the ROI provably cannot depend on are skipped and the model
may run on a crop (``acceleration.py``); neither changes the map.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from cem_bench.cem.acceleration import Acceleration, Plan, crop_matches, crop_window, dilate, gradient_support
from cem_bench.cem.checkpoint import SampleStore
from cem_bench.cem.interventions import InputWindow, Interventions
from cem_bench.cem.protocol import Protocol
from cem_bench.cem.sampler import Sampler, adaptive_done
from cem_bench.core.banks import PatchBank
from cem_bench.core.device import auto_batch_size
from cem_bench.core.errors import ModelOutputError
from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.core.images import array_sha256, to_tensor
from cem_bench.core.metrics import roi_psnr
from cem_bench.core.tasks import Degraded, Task

Model = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class CEMResult:
    """One causal effect map. Arrays are ``[rows, cols]`` with rows = y; ROI blocks hold NaN / 0."""

    ce: np.ndarray
    n_samples: np.ndarray
    stderr: np.ndarray
    roi_mask: np.ndarray
    psnr_roi: float
    grid: BlockGrid
    roi: ROI
    forwards: int
    seconds: float
    fine_blocks: int
    timings: dict[str, float] = field(default_factory=dict)
    acceleration: dict[str, object] = field(default_factory=dict)
    resumed_samples: int = 0


@dataclass(frozen=True)
class SamplingPlan:
    """What is left to sample once the screen and the crop check have run (before the coarse stage):
    reported to ``on_sampling`` so that a caller can estimate, print, or stop the run there."""

    candidates: int  # blocks that get coarse samples
    screened: int  # blocks the screen skipped (their CE is exactly 0)
    input_shape: tuple[int, int]  # model input of every intervention: the crop window or the whole input
    batch_size: int


def model_fingerprint(model: Model) -> str:
    """sha256 of a model's name and parameters/buffers: part of the resume key."""
    digest = hashlib.sha256(str(getattr(model, "name", type(model).__name__)).encode())
    if isinstance(model, torch.nn.Module):
        for name, tensor in model.state_dict().items():
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


class CEMEstimator:
    """Estimate a causal effect map for one model, task, image and ROI."""

    def __init__(
        self,
        model: Model,
        task: Task,
        bank: PatchBank,
        protocol: Protocol = Protocol(),
        device: torch.device | str = "cpu",
        batch_size: int | None = None,
        progress: bool = True,
        acceleration: Acceleration = Acceleration(),
        checkpoint: str | Path | None = None,
        on_sampling: Callable[[SamplingPlan], None] | None = None,
    ) -> None:
        self.model, self.task, self.bank, self.protocol = model, task, bank, protocol
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.progress = progress
        self.acceleration = acceleration
        self.checkpoint = checkpoint
        self.on_sampling = on_sampling  # called once before sampling; an exception it raises stops the run

    def _forward(self, batch: torch.Tensor, expected: tuple[int, int]) -> torch.Tensor:
        output = self.model(batch)
        if output.ndim != 4 or tuple(output.shape[-2:]) != expected or output.shape[1] != 3:
            raise ModelOutputError(
                f"model output has shape {tuple(output.shape)}, expected [B, 3, {expected[0]}, {expected[1]}] "
                f"for task {self.task.label} (wrong scale?)"
            )
        return output

    def _plan(self, whole: Interventions, lq: torch.Tensor, original: torch.Tensor, roi: ROI,
              grid: BlockGrid, roi_mask: np.ndarray) -> Plan:
        """Run the screen and the crop check (see ``acceleration.py``)."""
        settings, plan = self.acceleration, Plan(support=None, window=None, notes=[])
        if settings.screen:
            mask = gradient_support(self.model, whole, lq, roi, grid, len(whole.bank), self.task.draw,
                                    self.protocol.seed, settings.probes)
            if mask is None:
                plan.notes.append("screen off: the model gives no input gradient")
            elif not (mask & roi_mask).any():
                plan.notes.append("screen off: zero gradient on the ROI's own blocks")
            else:
                plan.support = dilate(mask, settings.margin)
        if settings.crop and plan.support is not None:
            tried: set[InputWindow] = set()
            for align in settings.aligns:
                window = crop_window(plan.support | roi_mask, grid, tuple(lq.shape[1:]), align)
                if window is None:  # this alignment (and every coarser one) needs the whole image
                    break
                if window in tried:
                    continue
                tried.add(window)
                if self._crop_agrees(window, lq, original, roi):
                    plan.window = window
                    break
            if tried and plan.window is None:
                plan.notes.append("crop off: no cropped ROI output equals the full image's")
        return plan

    def _crop_agrees(self, window: InputWindow, lq: torch.Tensor, original: torch.Tensor, roi: ROI) -> bool:
        scale = self.task.scale
        with torch.inference_mode():
            output = self.model(lq[None, :, window.y0 : window.y1, window.x0 : window.x1])
        return crop_matches(_window(original, roi), _window(output, _shift(roi, window.y0 * scale, window.x0 * scale)))

    def _store_key(self, degraded: Degraded, roi: ROI, plan: Plan) -> str:
        key = {"protocol": self.protocol.describe(self.bank.sha256), "task": self.task.describe(),
               "gt": array_sha256(degraded.gt), "lq": array_sha256(degraded.lq), "roi": roi.as_dict(),
               "model": model_fingerprint(self.model),
               "window": None if plan.window is None else plan.window.as_dict()}
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()

    def run(self, degraded: Degraded, roi: ROI) -> CEMResult:
        start = time.perf_counter()
        proto, device = self.protocol, self.device
        height, width = degraded.gt.shape[:2]
        grid = BlockGrid(height, width, proto.block, self.task.scale)
        roi_mask = grid.roi_mask(roi)
        gt_roi = torch.from_numpy(degraded.gt[roi.y : roi.y + roi.size, roi.x : roi.x + roi.size])
        gt_roi = gt_roi.permute(2, 0, 1).float().to(device)
        lq = to_tensor(degraded.lq).to(device)

        with torch.inference_mode():
            original = self._forward(lq[None], (height, width))
        psnr_roi = float(roi_psnr(original, gt_roi, roi)[0])
        if not np.isfinite(psnr_roi) or not bool(torch.isfinite(original).all()):
            raise ModelOutputError("model output contains NaN or Inf on the unmodified input")

        bank = self.task.prepare_bank(self.bank, proto.block, device)
        whole = Interventions(self.task, bank, degraded, grid, device)
        t_plan = time.perf_counter()
        plan = self._plan(whole, lq, original, roi, grid, roi_mask)
        t_sample = time.perf_counter()
        interventions = whole
        sample_roi, expected = roi, (height, width)
        if plan.window is not None:
            interventions = Interventions(self.task, bank, degraded, grid, device, plan.window)
            scale = self.task.scale
            sample_roi = _shift(roi, plan.window.y0 * scale, plan.window.x0 * scale)
            expected = (plan.window.shape[0] * scale, plan.window.shape[1] * scale)
        evaluated = ~roi_mask if plan.support is None else ~roi_mask & plan.support
        candidates = np.flatnonzero(evaluated.ravel())

        batch_size = self.batch_size or auto_batch_size(expected[0] * expected[1], device)
        if self.on_sampling is not None:
            window = plan.window.shape if plan.window is not None else tuple(lq.shape[1:])
            self.on_sampling(SamplingPlan(candidates=len(candidates), screened=int((~roi_mask).sum()) - len(candidates),
                                          input_shape=(int(window[0]), int(window[1])), batch_size=batch_size))
        store = SampleStore(self.checkpoint, self._store_key(degraded, roi, plan))
        bar = tqdm(total=len(candidates) * proto.coarse, unit="fwd", desc=f"CEM {self.task.label}",
                   disable=not self.progress, leave=False)

        def forward(batch: torch.Tensor) -> torch.Tensor:
            return roi_psnr(self._forward(batch, expected), gt_roi, sample_roi)

        sampler = Sampler(self.task, interventions, len(bank), proto.seed, forward, batch_size, store, bar.update)
        with torch.inference_mode():
            coarse = sampler.values("coarse", candidates, proto.coarse, proto.coarse)
            t_coarse = time.perf_counter()
            # ">= tol" is the paper's rule; "> 0" only matters for tol = 0, where a block that no sample
            # moved at all would otherwise be sampled finely for nothing.
            moved = [bool(((np.abs(v - psnr_roi) >= proto.tol) & (np.abs(v - psnr_roi) > 0)).any()) for v in coarse]
            fine_blocks = candidates[np.asarray(moved, dtype=bool)] if len(candidates) else candidates
            bar.total += len(fine_blocks) * proto.fine
            bar.refresh()
            fine = self._fine(sampler, fine_blocks, psnr_roi)
        t_fine = time.perf_counter()
        bar.close()

        # The estimate uses the fine samples where they exist, else the coarse ones (not pooled).
        used = dict(zip(candidates.tolist(), coarse))
        used.update(fine)
        ce = np.full(grid.n_blocks, np.nan)
        ce[np.flatnonzero(~roi_mask.ravel())] = 0.0  # screened blocks: exactly no effect
        n_samples = np.zeros(grid.n_blocks, dtype=np.int64)
        stderr = np.full(grid.n_blocks, np.nan)
        for block, values in used.items():
            # Mean of differences, not difference of means: unmoved samples then give exactly 0.
            effect = float(np.mean(psnr_roi - values))
            ce[block] = 0.0 if abs(effect) < proto.tol else effect
            n_samples[block] = len(values)
            if len(values) > 1:
                stderr[block] = float(np.std(values, ddof=1) / np.sqrt(len(values)))

        shape = (grid.rows, grid.cols)
        forwards = 1 + len(candidates) * proto.coarse + sum(len(values) for values in fine.values())
        return CEMResult(
            ce=ce.reshape(shape), n_samples=n_samples.reshape(shape), stderr=stderr.reshape(shape),
            roi_mask=roi_mask, psnr_roi=psnr_roi, grid=grid, roi=roi, forwards=forwards,
            seconds=time.perf_counter() - start, fine_blocks=int(len(fine_blocks)),
            timings={"plan": t_sample - t_plan, "coarse": t_coarse - t_sample, "fine": t_fine - t_coarse},
            acceleration=plan.describe(roi_mask, self.acceleration), resumed_samples=store.resumed,
        )

    def _fine(self, sampler: Sampler, blocks: np.ndarray, psnr_roi: float) -> dict[int, np.ndarray]:
        """Fine samples per block: all ``fine`` of them, or adaptively fewer."""
        proto = self.protocol
        if proto.fine == 0 or len(blocks) == 0:
            return {}
        if proto.sampling != "adaptive":
            return dict(zip(blocks.tolist(), sampler.values("fine", blocks, proto.fine, proto.fine)))
        finished: dict[int, np.ndarray] = {}
        active, stop = blocks, 0
        while len(active) and stop < proto.fine:
            stop = min(stop + proto.step, proto.fine)
            values = sampler.values("fine", active, proto.fine, stop)
            still = []
            for block, samples in zip(active.tolist(), values):
                if stop == proto.fine or adaptive_done(psnr_roi - samples, proto.tol):
                    finished[block] = samples
                else:
                    still.append(block)
            active = np.asarray(still, dtype=np.int64)
        return finished


def _shift(roi: ROI, dy: int, dx: int) -> ROI:
    return ROI(roi.x - dx, roi.y - dy, roi.size)


def _window(output: torch.Tensor, roi: ROI) -> torch.Tensor:
    return output[:, :, roi.y : roi.y + roi.size, roi.x : roi.x + roi.size]
