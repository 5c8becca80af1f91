"""Sharing forwards between the ROIs of one image: which ROIs run together, on which input window.

One intervention forward gives the whole output image, so it can serve every ROI of that image: each
ROI keeps its own candidates (its own blocks excluded, its own screen), its own coarse -> fine selection
and its own counts, and reads its own PSNR column of each shared forward. Whether sharing pays depends
on the model: for a model with global reach every forward is a whole-image forward anyway, and R ROIs
then cost about one; for a local model each ROI's own receptive-field crop is small, and separate
cropped runs cost less than one shared run on the window that holds every ROI. :func:`group_rois`
compares the two by input pixels to evaluate at the coarse stage and picks the cheaper (``auto``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cem_bench.cem.acceleration import Plan, crop_window
from cem_bench.cem.interventions import InputWindow
from cem_bench.core.geometry import ROI, BlockGrid

SHARINGS = ("auto", "shared", "separate")


@dataclass
class RoiPlan:
    """One ROI's own plan: its blocks, its screen and crop (what a single-ROI run would use)."""

    roi: ROI
    mask: np.ndarray  # bool [rows, cols]: the ROI's own blocks
    plan: Plan

    @property
    def candidates(self) -> np.ndarray:
        """Blocks to intervene on for this ROI (flat indices, ascending)."""
        keep = ~self.mask if self.plan.support is None else ~self.mask & self.plan.support
        return np.flatnonzero(keep.ravel())


@dataclass
class Group:
    """ROIs (indices into the run's ROI list) that share every forward, on ``window`` (None: whole image)."""

    members: list[int]
    window: InputWindow | None
    notes: list[str]


def counted_forwards(n_samples: Sequence[np.ndarray], coarse: int, fine: int) -> int:
    """The forwards of one shared run of ROIs whose maps have these sample counts (one map: its own run).

    Fixed sampling only: each sampled block takes ``coarse`` draws, and ``fine`` more where a coarse one
    moved the ROI (its count is then ``fine``); a draw depends only on (seed, stage, block), so one
    forward serves every ROI that samples that block. Maps do not depend on which ROIs ran together, so
    committed maps fix what any grouping of their ROIs costs (``benchmarks/multi_roi.py --from-units``).

    >>> counted_forwards([np.array([0, 3, 50]), np.array([3, 3, 0])], coarse=3, fine=50)
    60
    """
    counts = np.stack([np.asarray(n).ravel() for n in n_samples])
    sampled = int((counts > 0).any(axis=0).sum())
    refined = int((counts == fine).any(axis=0).sum()) if fine != coarse else 0
    return 1 + coarse * sampled + fine * refined


def _pixels(window: InputWindow | None, in_size: tuple[int, int]) -> int:
    height, width = window.shape if window is not None else in_size
    return height * width


def shared_window(plans: Sequence[RoiPlan], grid: BlockGrid, in_size: tuple[int, int], aligns: Sequence[int],
                  agrees: Callable[[InputWindow], bool]) -> tuple[InputWindow | None, list[str]]:
    """The crop for ROIs that share forwards: the smallest aligned window holding every ROI's support and
    ROI that ``agrees`` (the crop check, for every ROI), else the whole image."""
    if any(item.plan.support is None for item in plans):
        return None, []
    keep = np.zeros((grid.rows, grid.cols), dtype=bool)
    for item in plans:
        keep |= item.plan.support | item.mask
    tried: set[InputWindow] = set()
    for align in aligns:
        window = crop_window(keep, grid, in_size, align)
        if window is None:
            break
        if window in tried:
            continue
        tried.add(window)
        if agrees(window):
            return window, []
    return None, ["shared crop off: no window holding every ROI gives each ROI's full-image output"] if tried else []


def group_rois(plans: Sequence[RoiPlan], sharing: str, in_size: tuple[int, int],
               shared: Callable[[], tuple[InputWindow | None, list[str]]]) -> list[Group]:
    """Groups of ROIs that run together: one group (``shared``), one per ROI (``separate``), or the one of
    the two that evaluates fewer input pixels at the coarse stage (``auto``). ``shared()`` gives the
    shared window (called only when needed: its crop check costs a few forwards).

    >>> from cem_bench.cem.acceleration import Plan
    >>> whole = [RoiPlan(ROI(0, 0, 8), np.eye(4, dtype=bool), Plan(None, None, [])) for _ in range(3)]
    >>> [g.members for g in group_rois(whole, "auto", (32, 32), lambda: (None, []))]
    [[0, 1, 2]]
    """
    if sharing not in SHARINGS:
        raise ValueError(f"sharing must be one of {', '.join(SHARINGS)}, got {sharing!r}")
    separate = [Group([index], item.plan.window, []) for index, item in enumerate(plans)]
    if len(plans) == 1 or sharing == "separate":
        return separate
    window, notes = shared()
    together = Group(list(range(len(plans))), window, notes)
    if sharing == "shared":
        return [together]
    union = np.unique(np.concatenate([item.candidates for item in plans]))
    shared_cost = len(union) * _pixels(window, in_size)
    separate_cost = sum(len(item.candidates) * _pixels(item.plan.window, in_size) for item in plans)
    return [together] if shared_cost <= separate_cost else separate
