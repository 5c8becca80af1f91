"""Evaluating interventions in flat batches, resumably, plus the adaptive stopping rule.

A stage (``coarse`` or ``fine``) has a fixed number of draws per block, all taken from the block's own
generator up front; evaluating samples ``[start, stop)`` of a block therefore always uses the same
patches and noise, whatever the batch size, the order, an interruption in between, or which ROIs the
forward serves. ``forward`` maps a batch of inputs to the ROI PSNRs ``[B, R]`` of the ``R`` ROIs that
share it; each block's samples are stored as ``[n, R]``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch

from cem_bench.cem.checkpoint import SampleStore
from cem_bench.cem.interventions import Interventions
from cem_bench.core.errors import BudgetExhausted, ModelOutputError
from cem_bench.core.seeding import generator
from cem_bench.core.tasks import Task

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def adaptive_done(effects: np.ndarray, tol: float) -> bool:
    """The pre-registered early-stopping rule of ``sampling="adaptive"``, on a block's CE samples.

    Stop sampling a block when the 95% normal confidence interval of its mean effect is narrower than
    ``tol`` on each side (half-width < tol: as precise as the map's resolution), or when it excludes 0
    (the sign of the effect is settled). Needs at least two samples.

    >>> adaptive_done(np.array([0.0, 0.0, 0.0]), 0.01)
    True
    >>> adaptive_done(np.array([-1.0, 1.0, -0.5, 0.5]), 0.01)
    False
    >>> adaptive_done(np.array([0.9, 1.1, 1.0]), 0.01)
    True
    """
    if len(effects) < 2:
        return False
    half_width = Z95 * float(np.std(effects, ddof=1)) / np.sqrt(len(effects))
    return bool(half_width < tol or abs(float(np.mean(effects))) > half_width)


class Sampler:
    """ROI PSNRs of interventions, evaluated in batches of ``batch_size`` on the device."""

    def __init__(self, task: Task, interventions: Interventions, bank_size: int, seed: int,
                 forward: Callable[[torch.Tensor], torch.Tensor], batch_size: int, store: SampleStore,
                 on_batch: Callable[[int], None] = lambda count: None, deadline: float | None = None) -> None:
        self.task, self.interventions, self.bank_size, self.seed = task, interventions, bank_size, seed
        self.forward, self.batch_size, self.store, self.on_batch = forward, batch_size, store, on_batch
        self.deadline = deadline  # time.monotonic() after which no new batch starts (samples so far are kept)
        self.forwards = 0
        self._draws: dict[tuple[str, int], tuple[torch.Tensor, torch.Tensor | None]] = {}

    def draws(self, stage: str, block: int, count: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Patch ids and task draws of all ``count`` samples of a block in a stage (cached)."""
        key = (stage, block)
        if key not in self._draws:
            gen = generator(self.seed, stage, block)
            ids = torch.randint(self.bank_size, (count,), generator=gen)
            grid = self.interventions.grid
            self._draws[key] = (ids, self.task.draw(gen, count, (3, grid.in_block, grid.in_block)))
        return self._draws[key]

    def values(self, stage: str, blocks: np.ndarray, count: int, stop: int) -> list[np.ndarray]:
        """Samples ``[0, stop)`` of each block, ``[stop, R]`` (``count`` = the stage's draws per block)."""
        todo = [(int(b), self.store.count(stage, int(b)), stop) for b in blocks]
        todo = [(b, start, end) for b, start, end in todo if start < end]
        flat_blocks, flat_ids, flat_draws, owners = [], [], [], []
        for block, start, end in todo:
            ids, draws = self.draws(stage, block, count)
            flat_blocks += [block] * (end - start)
            flat_ids.append(ids[start:end])
            flat_draws.append(None if draws is None else draws[start:end])
            owners.append((block, end - start))
        if todo:
            self._evaluate(stage, np.asarray(flat_blocks), torch.cat(flat_ids),
                           None if flat_draws[0] is None else torch.cat(flat_draws), owners)
        self.store.flush(force=True)
        return [self.store.get(stage, int(block), stop) for block in blocks]

    def _evaluate(self, stage: str, blocks: np.ndarray, ids: torch.Tensor, draws: torch.Tensor | None,
                  owners: list[tuple[int, int]]) -> None:
        device = self.interventions.base.device
        device_blocks, device_ids = torch.from_numpy(blocks).to(device), ids.to(device)
        device_draws = None if draws is None else draws.to(device)
        pending: list[np.ndarray] = []
        owner = 0
        for first in range(0, len(ids), self.batch_size):
            if self.deadline is not None and time.monotonic() >= self.deadline:
                self.store.flush(force=True)
                raise BudgetExhausted("time budget reached")
            part = slice(first, first + self.batch_size)
            batch = self.interventions.build(device_blocks[part], device_ids[part],
                                             None if device_draws is None else device_draws[part])
            psnrs = self.forward(batch).cpu().numpy()
            if not np.isfinite(psnrs).all():
                raise ModelOutputError("model output contains NaN or Inf for an intervened input")
            self.forwards += len(batch)
            self.on_batch(len(batch))
            pending.append(psnrs)
            done = np.concatenate(pending)
            # Hand every block whose samples are all evaluated to the store, in order.
            while owner < len(owners) and owners[owner][1] <= len(done):
                block, count = owners[owner]
                self.store.extend(stage, block, done[:count])
                done = done[count:]
                owner += 1
            pending = [done]
            self.store.flush()
