"""The CEM estimator: coarse-to-fine interventional sampling, batched and built on the device.

For every non-ROI block ``b`` of the output grid, ``CE(b) = PSNR_roi(model(x)) - E[PSNR_roi(model(x
with block b := degraded random patch))]``. Stage 1 draws ``coarse`` interventions per block; blocks
where any coarse sample moved the ROI PSNR by at least ``tol`` get ``fine`` further interventions;
the estimate is the fine mean where it exists, else the coarse mean (the reference does not pool the
two); ``|CE| < tol`` is set to 0. Each block's draws come from its own seeded generator (see
``seeding.py``), so the map does not depend on the batch size or on which blocks were evaluated.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .banks import PatchBank
from .errors import ModelOutputError
from .geometry import ROI, BlockGrid
from .images import to_tensor
from .metrics import roi_psnr
from .protocol import Protocol
from .seeding import generator
from .tasks import Degraded, Task

Model = Callable[[torch.Tensor], torch.Tensor]
MAX_AUTO_BATCH = 64
AUTO_BATCH_BYTES = 2 << 30  # activation budget for the automatic batch size


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


def auto_batch_size(out_pixels: int, device: torch.device) -> int:
    """A batch that keeps ~64 float32 feature maps per sample inside the activation budget."""
    per_sample = out_pixels * 64 * 4 * 2
    budget = AUTO_BATCH_BYTES * (4 if device.type == "cuda" else 1)
    return int(max(1, min(MAX_AUTO_BATCH * (4 if device.type == "cuda" else 1), budget // per_sample)))


class _Interventions:
    """Pastes degraded patches into copies of the model input, by tensor indexing on the device."""

    def __init__(self, task: Task, bank: torch.Tensor, degraded: Degraded, grid: BlockGrid, device: torch.device):
        self.task, self.bank, self.grid = task, bank, grid
        bi = grid.in_block
        lq = to_tensor(degraded.lq).to(device)
        self.in_height, self.in_width = lq.shape[1:]
        pad = (0, grid.cols * bi - self.in_width, 0, grid.rows * bi - self.in_height)
        self.padded = F.pad(lq, pad)
        self.residual_blocks = None
        if degraded.residual is not None:
            residual = F.pad(torch.from_numpy(degraded.residual).permute(2, 0, 1).to(device), pad)
            blocks = residual.view(3, grid.rows, bi, grid.cols, bi).permute(1, 3, 0, 2, 4)
            self.residual_blocks = blocks.reshape(grid.n_blocks, 3, bi, bi)
        self.offsets = torch.arange(bi, device=device)

    def build(self, blocks: torch.Tensor, patch_ids: torch.Tensor, draws: torch.Tensor | None) -> torch.Tensor:
        count = len(blocks)
        residual = None if self.residual_blocks is None else self.residual_blocks[blocks]
        patches = self.task.degrade_patches(self.bank[patch_ids], draws, residual)
        rows, cols = blocks // self.grid.cols, blocks % self.grid.cols
        ys = (rows * self.grid.in_block)[:, None] + self.offsets
        xs = (cols * self.grid.in_block)[:, None] + self.offsets
        batch = self.padded.expand(count, -1, -1, -1).clone()
        item = torch.arange(count, device=blocks.device)[:, None, None, None]
        channel = torch.arange(3, device=blocks.device)[None, :, None, None]
        batch[item, channel, ys[:, None, :, None], xs[:, None, None, :]] = patches
        return batch[:, :, : self.in_height, : self.in_width]


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
    ) -> None:
        self.model, self.task, self.bank, self.protocol = model, task, bank, protocol
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.progress = progress

    def _forward(self, batch: torch.Tensor, expected: tuple[int, int]) -> torch.Tensor:
        output = self.model(batch)
        if output.ndim != 4 or tuple(output.shape[-2:]) != expected or output.shape[1] != 3:
            raise ModelOutputError(
                f"model output has shape {tuple(output.shape)}, expected [B, 3, {expected[0]}, {expected[1]}] "
                f"for task {self.task.label} (wrong scale?)"
            )
        return output

    @torch.inference_mode()
    def run(self, degraded: Degraded, roi: ROI) -> CEMResult:
        start = time.perf_counter()
        proto, device = self.protocol, self.device
        height, width = degraded.gt.shape[:2]
        grid = BlockGrid(height, width, proto.block, self.task.scale)
        roi_mask = grid.roi_mask(roi)
        gt_roi = torch.from_numpy(degraded.gt[roi.y : roi.y + roi.size, roi.x : roi.x + roi.size])
        gt_roi = gt_roi.permute(2, 0, 1).float().to(device)

        original = self._forward(to_tensor(degraded.lq)[None].to(device), (height, width))
        psnr_roi = float(roi_psnr(original, gt_roi, roi)[0])
        if not np.isfinite(psnr_roi) or not bool(torch.isfinite(original).all()):
            raise ModelOutputError("model output contains NaN or Inf on the unmodified input")

        bank = self.task.prepare_bank(self.bank, proto.block, device)
        interventions = _Interventions(self.task, bank, degraded, grid, device)
        batch_size = self.batch_size or auto_batch_size(height * width, device)
        candidates = np.flatnonzero(~roi_mask.ravel())
        bar = tqdm(total=len(candidates) * proto.coarse, unit="fwd", desc=f"CEM {self.task.label}",
                   disable=not self.progress, leave=False)

        def sample(stage: str, blocks: np.ndarray, count: int) -> np.ndarray:
            """ROI PSNR of ``count`` interventions on each block: ``[len(blocks), count]`` float64."""
            if len(blocks) == 0 or count == 0:
                return np.zeros((len(blocks), count))
            shape = (3, grid.in_block, grid.in_block)
            ids, draws = [], []
            for block in blocks:
                gen = generator(proto.seed, stage, int(block))
                ids.append(torch.randint(len(bank), (count,), generator=gen))
                draws.append(self.task.draw(gen, count, shape))
            flat_blocks = torch.from_numpy(np.repeat(blocks, count)).to(device)
            flat_ids = torch.cat(ids).to(device)
            flat_draws = None if draws[0] is None else torch.cat(draws)
            values = []
            for first in range(0, len(flat_ids), batch_size):
                part = slice(first, first + batch_size)
                part_draws = None if flat_draws is None else flat_draws[part]
                batch = interventions.build(flat_blocks[part], flat_ids[part], part_draws)
                values.append(roi_psnr(self._forward(batch, (height, width)), gt_roi, roi))
                bar.update(len(batch))
            psnrs = torch.cat(values).cpu().numpy().reshape(len(blocks), count)
            if not np.isfinite(psnrs).all():
                raise ModelOutputError("model output contains NaN or Inf for an intervened input")
            return psnrs

        t0 = time.perf_counter()
        coarse = sample("coarse", candidates, proto.coarse)
        t1 = time.perf_counter()
        # ">= tol" is the paper's rule; "> 0" only matters for tol = 0, where a block that no sample
        # moved at all would otherwise be sampled finely for nothing.
        shift = np.abs(coarse - psnr_roi)
        moved = ((shift >= proto.tol) & (shift > 0)).any(axis=1)
        fine_blocks = candidates[moved]
        bar.total += len(fine_blocks) * proto.fine
        bar.refresh()
        fine = sample("fine", fine_blocks, proto.fine)
        t2 = time.perf_counter()
        bar.close()

        # The estimate uses the fine samples where they exist, else the coarse ones (not pooled).
        used = dict(zip(candidates.tolist(), coarse))
        if proto.fine > 0:
            used.update(zip(fine_blocks.tolist(), fine))
        ce = np.full(grid.n_blocks, np.nan)
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
        forwards = 1 + len(candidates) * proto.coarse + len(fine_blocks) * proto.fine
        return CEMResult(
            ce=ce.reshape(shape), n_samples=n_samples.reshape(shape), stderr=stderr.reshape(shape),
            roi_mask=roi_mask, psnr_roi=psnr_roi, grid=grid, roi=roi, forwards=forwards,
            seconds=time.perf_counter() - start, fine_blocks=int(len(fine_blocks)),
            timings={"coarse": t1 - t0, "fine": t2 - t1},
        )
