"""Building intervened model inputs on the device, by tensor indexing (no host round trips).

An intervention pastes one degraded bank patch into one input block. ``InputWindow`` restricts the
model input to a block-aligned window of the image (the receptive-field crop): interventions are then
pasted into the window, and the model runs on the window only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cem_bench.core.geometry import BlockGrid
from cem_bench.core.images import to_tensor
from cem_bench.core.tasks import Degraded, Task


@dataclass(frozen=True)
class InputWindow:
    """A window of the model input in input pixels: rows ``[y0, y1)``, columns ``[x0, x1)``."""

    y0: int
    y1: int
    x0: int
    x1: int

    @classmethod
    def whole(cls, height: int, width: int) -> InputWindow:
        return cls(0, height, 0, width)

    @property
    def shape(self) -> tuple[int, int]:
        return self.y1 - self.y0, self.x1 - self.x0

    def as_dict(self) -> dict[str, int]:
        return {"y0": self.y0, "y1": self.y1, "x0": self.x0, "x1": self.x1}


class Interventions:
    """Intervened copies of the model input (or of a window of it), built on ``device``."""

    def __init__(self, task: Task, bank: torch.Tensor, degraded: Degraded, grid: BlockGrid,
                 device: torch.device, window: InputWindow | None = None) -> None:
        self.task, self.bank, self.grid = task, bank, grid
        bi = grid.in_block
        lq = to_tensor(degraded.lq).to(device)
        self.in_height, self.in_width = lq.shape[1:]
        self.window = window or InputWindow.whole(self.in_height, self.in_width)
        if self.window.y0 % bi or self.window.x0 % bi:
            raise ValueError("an input window must start on a block boundary")
        pad = (0, grid.cols * bi - self.in_width, 0, grid.rows * bi - self.in_height)
        self.padded = F.pad(lq, pad)
        self.residual_blocks = None
        if degraded.residual is not None:
            residual = F.pad(torch.from_numpy(degraded.residual).permute(2, 0, 1).to(device), pad)
            blocks = residual.view(3, grid.rows, bi, grid.cols, bi).permute(1, 3, 0, 2, 4)
            self.residual_blocks = blocks.reshape(grid.n_blocks, 3, bi, bi)
        self.offsets = torch.arange(bi, device=device)
        # The window of the padded image, rounded out to whole blocks so every patch fits.
        self.base = self.padded[:, self.window.y0 : self._block_end(self.window.y1),
                                self.window.x0 : self._block_end(self.window.x1)]

    def _block_end(self, end: int) -> int:
        bi = self.grid.in_block
        return -(-end // bi) * bi

    def _patches(self, blocks: torch.Tensor, patch_ids: torch.Tensor, draws: torch.Tensor | None) -> torch.Tensor:
        residual = None if self.residual_blocks is None else self.residual_blocks[blocks]
        return self.task.degrade_patches(self.bank[patch_ids], draws, residual)

    def build(self, blocks: torch.Tensor, patch_ids: torch.Tensor, draws: torch.Tensor | None) -> torch.Tensor:
        """One input per (block, patch, draw): ``[K, 3, h, w]`` of the window."""
        count = len(blocks)
        patches = self._patches(blocks, patch_ids, draws)
        rows, cols = blocks // self.grid.cols, blocks % self.grid.cols
        ys = (rows * self.grid.in_block - self.window.y0)[:, None] + self.offsets
        xs = (cols * self.grid.in_block - self.window.x0)[:, None] + self.offsets
        batch = self.base.expand(count, -1, -1, -1).clone()
        item = torch.arange(count, device=blocks.device)[:, None, None, None]
        channel = torch.arange(3, device=blocks.device)[None, :, None, None]
        batch[item, channel, ys[:, None, :, None], xs[:, None, None, :]] = patches
        height, width = self.window.shape
        return batch[:, :, :height, :width]

    def replace_all(self, patch_ids: torch.Tensor, draws: torch.Tensor | None) -> torch.Tensor:
        """The whole input with every block replaced at once (one patch id per block): ``[3, h, w]``."""
        grid, bi = self.grid, self.grid.in_block
        blocks = torch.arange(grid.n_blocks, device=patch_ids.device)
        patches = self._patches(blocks, patch_ids, draws)
        image = patches.view(grid.rows, grid.cols, 3, bi, bi).permute(2, 0, 3, 1, 4)
        return image.reshape(3, grid.rows * bi, grid.cols * bi)[:, : self.in_height, : self.in_width]

    def blocks_inside(self, blocks: np.ndarray) -> bool:
        """Whether every block lies inside the window (so it can be intervened on there)."""
        bi = self.grid.in_block
        rows, cols = blocks // self.grid.cols, blocks % self.grid.cols
        return bool(((rows * bi >= self.window.y0) & (rows * bi < self.window.y1)
                     & (cols * bi >= self.window.x0) & (cols * bi < self.window.x1)).all())
