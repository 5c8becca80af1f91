"""Exact accelerations: skip blocks the ROI cannot depend on, and run the model on a crop.

Both are checks *about the model*, done once per run before any intervention:

1. **Gradient-support screen.** One backward pass of a randomly weighted sum of the ROI output with
   respect to the input, on the unmodified input and on ``probes`` inputs where every block is
   replaced by a random bank patch (so a ReLU that happens to be off on one input cannot hide a
   dependence). Input blocks where every pixel's gradient is exactly zero on every probe (and that
   are more than ``margin`` blocks from a block with a non-zero gradient; default 0) are skipped:
   their CE is exactly 0. A block is kept when any one of its pixels carries gradient, and an
   intervention replaces the whole block, so routing operations (max-pooling, ReLU) cannot hide a
   block. Hard thresholds inside the model (a step function of the input) could: disable the
   screen for such models.
   A model with a global operation (channel attention, global pooling, normalisation over the image)
   has non-zero gradient everywhere, and then nothing is skipped, which is the correct answer. The
   screen switches itself off when it cannot be trusted: no gradient (non-differentiable model) or
   zero gradient on the ROI's own blocks.
2. **Receptive-field crop.** When the blocks that remain lie in a bounded window, the model runs on
   that window only, after checking that the ROI output of the window equals the full image's ROI
   output on the unmodified input: same 8-bit values and at most ``CROP_TOLERANCE`` apart in [0, 1]
   units. Windows are tried from the tightest (aligned to blocks) to coarser alignments (``aligns``,
   in input pixels), because models that partition the image into windows or pad it to a multiple of
   a size (window attention) only agree with the full image on suitably aligned crops. If none
   agrees, the full image is used.

Disable both (``--no-accel``) for models that are not functions of their input alone (e.g. a model
that reads the image size, or randomised inference).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cem_bench.cem.interventions import InputWindow, Interventions
from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.core.seeding import generator

CROP_TOLERANCE = 1e-4  # max |full - crop| of the ROI output on the unmodified input, [0, 1] units


@dataclass(frozen=True)
class Acceleration:
    """Which exact accelerations to try (recorded in results; they do not change the map)."""

    screen: bool = True
    crop: bool = True
    probes: int = 2
    margin: int = 0  # extra blocks kept around the measured support (a safety knob)
    aligns: tuple[int, ...] = (1, 16, 64)  # crop alignments tried in turn, input pixels (1 = blocks)

    @classmethod
    def off(cls) -> Acceleration:
        return cls(screen=False, crop=False)


@dataclass
class Plan:
    """What the screen and the crop check decided for one run."""

    support: np.ndarray | None  # bool [rows, cols]: blocks to evaluate (None: all)
    window: InputWindow | None  # model-input window (None: whole image)
    notes: list[str]

    def describe(self, roi_mask: np.ndarray, settings: Acceleration) -> dict[str, object]:
        """The settings tried and what ran: ``screen``/``crop`` are the settings, ``screen_ran`` says the
        screen's support chose the sampled blocks, ``crop_ran`` that the forwards ran on ``window``."""
        candidates = ~roi_mask
        skipped = 0 if self.support is None else int((candidates & ~self.support).sum())
        return {
            "screen": settings.screen, "crop": settings.crop, "probes": settings.probes,
            "margin": settings.margin, "aligns": list(settings.aligns),
            "screen_ran": self.support is not None, "crop_ran": self.window is not None,
            "screened_blocks": skipped,
            "window": None if self.window is None else self.window.as_dict(),
            "notes": self.notes,
        }


def _block_max(values: torch.Tensor, grid: BlockGrid) -> np.ndarray:
    """Max of a ``[h, w]`` input map over each block: ``[rows, cols]``."""
    bi = grid.in_block
    padded = F.pad(values, (0, grid.cols * bi - values.shape[1], 0, grid.rows * bi - values.shape[0]))
    return padded.view(grid.rows, bi, grid.cols, bi).amax(dim=(1, 3)).cpu().numpy()


def gradient_support(model: Callable[[torch.Tensor], torch.Tensor], interventions: Interventions,
                     lq: torch.Tensor, roi: ROI, grid: BlockGrid, bank_size: int, draw: Callable,
                     seed: int, probes: int) -> np.ndarray | None:
    """Blocks with a non-zero ROI gradient on any probe, ``[rows, cols]`` bool; None if unusable."""
    total = torch.zeros(lq.shape[1:], dtype=torch.float64, device=lq.device)
    shape = (3, grid.in_block, grid.in_block)
    with torch.inference_mode(False), torch.enable_grad():
        for probe in range(probes + 1):
            gen = generator(seed, "screen", probe)
            if probe == 0:
                base = lq
            else:
                ids = torch.randint(bank_size, (grid.n_blocks,), generator=gen).to(lq.device)
                draws = draw(gen, grid.n_blocks, shape)
                base = interventions.replace_all(ids, None if draws is None else draws.to(lq.device))
            x = base.clone()[None].requires_grad_(True)
            window = model(x)[:, :, roi.y : roi.y + roi.size, roi.x : roi.x + roi.size]
            weights = torch.randn(window.shape, generator=gen).to(window)
            try:
                (window * weights).sum().backward()
            except RuntimeError:  # no graph: the model is not differentiable end to end
                return None
            if x.grad is None:
                return None
            total += x.grad[0].abs().sum(dim=0).double()
    return _block_max(total, grid) > 0


def dilate(mask: np.ndarray, margin: int) -> np.ndarray:
    """Grow a block mask by ``margin`` blocks in every direction (Chebyshev).

    >>> dilate(np.eye(1, 5, 2, dtype=bool), 1).astype(int).tolist()
    [[0, 1, 1, 1, 0]]
    """
    if margin <= 0:
        return mask.copy()
    grown = F.max_pool2d(torch.from_numpy(mask.astype(np.float32))[None, None], 2 * margin + 1, 1, margin)
    return grown[0, 0].numpy() > 0


def crop_window(keep: np.ndarray, grid: BlockGrid, in_size: tuple[int, int], align: int) -> InputWindow | None:
    """The smallest input window holding every kept block, its sides on multiples of ``align`` and
    of the input block; None when that is the whole image.

    >>> grid = BlockGrid(64, 64, 8)
    >>> keep = np.zeros((8, 8), bool); keep[3:5, 2:5] = True
    >>> crop_window(keep, grid, (64, 64), 1)
    InputWindow(y0=24, y1=40, x0=16, x1=40)
    >>> crop_window(keep, grid, (64, 64), 16)
    InputWindow(y0=16, y1=48, x0=16, x1=48)
    >>> crop_window(keep, grid, (64, 64), 64) is None
    True
    """
    rows, cols = np.nonzero(keep)
    bi = grid.in_block
    step = int(np.lcm(align, bi))
    y0, x0 = rows.min() * bi // step * step, cols.min() * bi // step * step
    y1 = min(-(-(rows.max() + 1) * bi // step) * step, in_size[0])
    x1 = min(-(-(cols.max() + 1) * bi // step) * step, in_size[1])
    if (y0, x0, y1, x1) == (0, 0, *in_size):
        return None
    return InputWindow(int(y0), int(y1), int(x0), int(x1))


def crop_matches(full_roi: torch.Tensor, crop_roi: torch.Tensor) -> bool:
    """Whether a crop's ROI output stands in for the full image's (same 8-bit values, tiny float gap)."""
    if full_roi.shape != crop_roi.shape:
        return False
    same_8bit = torch.equal(full_roi.clamp(0, 1).mul(255).round(), crop_roi.clamp(0, 1).mul(255).round())
    return same_8bit and float((full_roi - crop_roi).abs().max()) <= CROP_TOLERANCE
