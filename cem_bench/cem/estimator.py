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
from collections.abc import Callable, Sequence
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
from cem_bench.cem.sharing import Group, RoiPlan, group_rois, shared_window
from cem_bench.core.banks import PatchBank
from cem_bench.core.device import auto_batch_size
from cem_bench.core.errors import ModelForwardError, ModelOutputError
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
    reported to ``on_sampling`` so that a caller can estimate, print, or stop the run there. With several
    ROIs it sums over the groups of ROIs that share forwards; ``input_shape`` is the largest of them."""

    candidates: int  # blocks that get coarse samples
    screened: int  # blocks the screen skipped (their CE is exactly 0)
    input_shape: tuple[int, int]  # model input of every intervention: the crop window or the whole input
    batch_size: int


@dataclass
class CEMRun:
    """The maps of several ROIs of one image: ``forwards`` were run in all (ROIs share them where that
    is cheaper: ``groups`` lists which ROIs ran together); each map's own ``forwards`` is what a
    single-ROI run of it evaluates."""

    maps: list[CEMResult]
    forwards: int
    seconds: float
    groups: list[list[int]]


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
        deadline: float | None = None,
        batch_bytes: int | None = None,
    ) -> None:
        self.model, self.task, self.bank, self.protocol = model, task, bank, protocol
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.progress = progress
        self.acceleration = acceleration
        self.checkpoint = checkpoint
        self.on_sampling = on_sampling  # called once before sampling; an exception it raises stops the run
        # time.monotonic() after which no new batch starts: BudgetExhausted, samples kept in ``checkpoint``
        self.deadline = deadline
        self.batch_bytes = batch_bytes  # the automatic batch's activation budget (the backend's; None: the device's)

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
        try:
            with torch.inference_mode():
                output = self.model(lq[None, :, window.y0 : window.y1, window.x0 : window.x1])
        except (ModelForwardError, RuntimeError) as error:
            # A network that cannot run on the smaller window (too small for its pooling, a side it cannot
            # divide) runs on the whole image, which it has just run on; memory is no reason to go bigger.
            if isinstance(error, torch.OutOfMemoryError) or getattr(error, "out_of_memory", False):
                raise
            return False
        return crop_matches(_window(original, roi), _window(output, _shift(roi, window.y0 * scale, window.x0 * scale)))

    def _store_key(self, degraded: Degraded, rois: Sequence[ROI], window: InputWindow | None) -> str:
        key = {"protocol": self.protocol.describe(self.bank.sha256), "task": self.task.describe(),
               "gt": array_sha256(degraded.gt), "lq": array_sha256(degraded.lq),
               "rois": [roi.as_dict() for roi in rois], "samples": "rows",  # rows of one PSNR per ROI
               "model": model_fingerprint(self.model),
               "window": None if window is None else window.as_dict()}
        return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()

    def run(self, degraded: Degraded, roi: ROI) -> CEMResult:
        """The causal effect map of one ROI."""
        return self.run_many(degraded, [roi]).maps[0]

    def run_many(self, degraded: Degraded, rois: Sequence[ROI], sharing: str = "auto") -> CEMRun:
        """One map per ROI, each identical to the map of a single-ROI run with the same settings.

        ROIs share intervention forwards where that is cheaper (``sharing``; see ``sharing.py``): a block's
        draws depend only on (seed, stage, block), so one forward serves every ROI that needs that sample.
        """
        start = time.perf_counter()
        proto, device = self.protocol, self.device
        height, width = degraded.gt.shape[:2]
        grid = BlockGrid(height, width, proto.block, self.task.scale)
        lq = to_tensor(degraded.lq).to(device)
        with torch.inference_mode():
            original = self._forward(lq[None], (height, width))
        if not bool(torch.isfinite(original).all()):
            raise ModelOutputError("model output contains NaN or Inf on the unmodified input")
        targets = [_Target(roi, grid.roi_mask(roi), _gt_window(degraded, roi, device)) for roi in rois]
        for target in targets:
            target.psnr = float(roi_psnr(original, target.gt, target.roi)[0])
            if not np.isfinite(target.psnr):
                raise ModelOutputError("model output contains NaN or Inf on the unmodified input")

        bank = self.task.prepare_bank(self.bank, proto.block, device)
        whole = Interventions(self.task, bank, degraded, grid, device)
        t_plan = time.perf_counter()
        plans = [RoiPlan(t.roi, t.mask, self._plan(whole, lq, original, t.roi, grid, t.mask)) for t in targets]

        def shared() -> tuple[InputWindow | None, list[str]]:
            if not self.acceleration.crop:
                return None, []
            def agrees(window: InputWindow) -> bool:
                return all(self._crop_agrees(window, lq, original, t.roi) for t in targets)
            return shared_window(plans, grid, tuple(lq.shape[1:]), self.acceleration.aligns, agrees)

        groups = group_rois(plans, sharing, tuple(lq.shape[1:]), shared)
        if self.on_sampling is not None:
            self.on_sampling(self._sampling_plan(groups, plans, tuple(lq.shape[1:])))
        t_planned = time.perf_counter()
        maps: list[CEMResult | None] = [None] * len(rois)
        forwards = 1
        # Every group's samples sit in the one checkpoint file under the run's key (checkpoint.py).
        run_key = None if self.checkpoint is None else self._store_key(degraded, rois, None)
        for group in groups:
            members = [targets[index] for index in group.members]
            found, spent = self._sample_group(degraded, grid, bank, members, [plans[i] for i in group.members], group,
                                              run_key)
            forwards += spent
            for index, result in zip(group.members, found):
                maps[index] = result
        seconds = time.perf_counter() - start
        for result in maps:
            assert result is not None
            result.timings["plan"] = t_planned - t_plan
            if len(groups) == 1:
                result.seconds = seconds
        return CEMRun(maps=[m for m in maps if m is not None], forwards=forwards, seconds=seconds,
                      groups=[group.members for group in groups])

    def _sampling_plan(self, groups: list[Group], plans: list[RoiPlan], in_size: tuple[int, int]) -> SamplingPlan:
        candidates, screened, shapes = 0, 0, []
        for group in groups:
            members = [plans[index] for index in group.members]
            candidates += len(np.unique(np.concatenate([item.candidates for item in members])))
            shapes.append(group.window.shape if group.window is not None else in_size)
        for item in plans:
            screened += int((~item.mask).sum()) - len(item.candidates)
        shape = max(shapes, key=lambda s: s[0] * s[1])
        scale = self.task.scale
        batch = self.batch_size or auto_batch_size(shape[0] * scale * shape[1] * scale, self.device, self.batch_bytes)
        return SamplingPlan(candidates=candidates, screened=screened, input_shape=(int(shape[0]), int(shape[1])),
                            batch_size=batch)

    def _sample_group(self, degraded: Degraded, grid: BlockGrid, bank: torch.Tensor, members: list[_Target],
                      plans: list[RoiPlan], group: Group, run_key: str | None) -> tuple[list[CEMResult], int]:
        """Coarse and fine sampling for ROIs that share every forward; returns their maps and the forwards run."""
        start = time.perf_counter()
        proto, device, scale = self.protocol, self.device, self.task.scale
        height, width = degraded.gt.shape[:2]
        interventions = Interventions(self.task, bank, degraded, grid, device, group.window)
        expected = (height, width)
        shifted = [t.roi for t in members]
        if group.window is not None:
            shifted = [_shift(t.roi, group.window.y0 * scale, group.window.x0 * scale) for t in members]
            expected = (group.window.shape[0] * scale, group.window.shape[1] * scale)
        own = [plan.candidates for plan in plans]
        candidates = own[0] if len(own) == 1 else np.unique(np.concatenate(own))
        psnrs = np.array([t.psnr for t in members])

        batch_size = self.batch_size or auto_batch_size(expected[0] * expected[1], device, self.batch_bytes)
        store = SampleStore(self.checkpoint, self._store_key(degraded, [t.roi for t in members], group.window),
                            width=len(members), run=run_key)
        label = f"CEM {self.task.label}" + (f" x{len(members)} ROIs" if len(members) > 1 else "")
        bar = tqdm(total=len(candidates) * proto.coarse, unit="fwd", desc=label, disable=not self.progress, leave=False)

        def forward(batch: torch.Tensor) -> torch.Tensor:
            output = self._forward(batch, expected)
            return torch.stack([roi_psnr(output, t.gt, roi) for t, roi in zip(members, shifted)], dim=1)

        sampler = Sampler(self.task, interventions, len(bank), proto.seed, forward, batch_size, store, bar.update,
                          self.deadline)
        with torch.inference_mode():
            coarse = dict(zip(candidates.tolist(), sampler.values("coarse", candidates, proto.coarse, proto.coarse)))
            t_coarse = time.perf_counter()
            fine_own = []
            for column, blocks in enumerate(own):
                # ">= tol" is the paper's rule; "> 0" only matters for tol = 0, where a block that no sample
                # moved at all would otherwise be sampled finely for nothing.
                change = [np.abs(coarse[b][:, column] - psnrs[column]) for b in blocks.tolist()]
                moved = np.asarray([bool(((c >= proto.tol) & (c > 0)).any()) for c in change], dtype=bool)
                fine_own.append(blocks[moved] if len(blocks) else blocks)
            fine_union = np.unique(np.concatenate(fine_own)) if len(fine_own) > 1 else fine_own[0]
            bar.total += len(fine_union) * proto.fine
            bar.refresh()
            fine = self._fine(sampler, fine_own, psnrs)
        t_fine = time.perf_counter()
        bar.close()

        results = []
        for column, (target, plan) in enumerate(zip(members, plans)):
            # The estimate uses the fine samples where they exist, else the coarse ones (not pooled).
            used = {b: coarse[b][:, column] for b in own[column].tolist()}
            used.update(fine[column])
            ce = np.full(grid.n_blocks, np.nan)
            ce[np.flatnonzero(~target.mask.ravel())] = 0.0  # screened blocks: exactly no effect
            n_samples = np.zeros(grid.n_blocks, dtype=np.int64)
            stderr = np.full(grid.n_blocks, np.nan)
            for block, values in used.items():
                # Mean of differences, not difference of means: unmoved samples then give exactly 0.
                effect = float(np.mean(target.psnr - values))
                ce[block] = 0.0 if abs(effect) < proto.tol else effect
                n_samples[block] = len(values)
                if len(values) > 1:
                    stderr[block] = float(np.std(values, ddof=1) / np.sqrt(len(values)))
            shape = (grid.rows, grid.cols)
            # What a single-ROI run of this ROI evaluates: the original, its coarse and its fine samples.
            own_forwards = 1 + len(own[column]) * proto.coarse + sum(len(v) for v in fine[column].values())
            used_plan = Plan(plan.plan.support, group.window, plan.plan.notes + group.notes)
            results.append(CEMResult(
                ce=ce.reshape(shape), n_samples=n_samples.reshape(shape), stderr=stderr.reshape(shape),
                roi_mask=target.mask, psnr_roi=target.psnr, grid=grid, roi=target.roi, forwards=own_forwards,
                seconds=time.perf_counter() - start, fine_blocks=int(len(fine_own[column])),
                timings={"coarse": t_coarse - start, "fine": t_fine - t_coarse},
                acceleration=used_plan.describe(target.mask, self.acceleration), resumed_samples=store.resumed,
            ))
        return results, sampler.forwards

    def _fine(self, sampler: Sampler, blocks: list[np.ndarray], psnrs: np.ndarray) -> list[dict[int, np.ndarray]]:
        """Fine samples per ROI and block: all ``fine`` of them, or adaptively fewer (each ROI by its own rule)."""
        proto = self.protocol
        finished: list[dict[int, np.ndarray]] = [{} for _ in blocks]
        union = np.unique(np.concatenate(blocks)) if len(blocks) > 1 else blocks[0]
        if proto.fine == 0 or len(union) == 0:
            return finished
        if proto.sampling != "adaptive":
            values = dict(zip(union.tolist(), sampler.values("fine", union, proto.fine, proto.fine)))
            return [{b: values[b][:, column] for b in own.tolist()} for column, own in enumerate(blocks)]
        active, stop = [own for own in blocks], 0
        while any(len(a) for a in active) and stop < proto.fine:
            stop = min(stop + proto.step, proto.fine)
            needed = np.unique(np.concatenate(active)) if len(active) > 1 else active[0]
            values = dict(zip(needed.tolist(), sampler.values("fine", needed, proto.fine, stop)))
            for column, own in enumerate(active):
                still = []
                for block in own.tolist():
                    samples = values[block][:, column]
                    if stop == proto.fine or adaptive_done(psnrs[column] - samples, proto.tol):
                        finished[column][block] = samples
                    else:
                        still.append(block)
                active[column] = np.asarray(still, dtype=np.int64)
        return finished


@dataclass
class _Target:
    """One ROI of a run: its blocks, its 8-bit ground truth and its PSNR on the unmodified input."""

    roi: ROI
    mask: np.ndarray
    gt: torch.Tensor
    psnr: float = float("nan")


def _gt_window(degraded: Degraded, roi: ROI, device: torch.device) -> torch.Tensor:
    gt = torch.from_numpy(degraded.gt[roi.y : roi.y + roi.size, roi.x : roi.x + roi.size])
    return gt.permute(2, 0, 1).float().to(device)


def _shift(roi: ROI, dy: int, dx: int) -> ROI:
    return ROI(roi.x - dx, roi.y - dy, roi.size)


def _window(output: torch.Tensor, roi: ROI) -> torch.Tensor:
    return output[:, :, roi.y : roi.y + roi.size, roi.x : roi.x + roi.size]
