"""What a task (degradation) must provide to the CEM estimator.

A task turns a ground-truth image into the model's degraded input (``degrade``), accepts a user's own
degraded image instead (``pair``), and degrades an intervening patch the same way so that an
intervention stays inside the model's input distribution (``prepare_bank``, ``draw``,
``degrade_patches``). ``VERSION`` is bumped on any change that alters numbers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from cem_bench.core.banks import PatchBank
from cem_bench.core.errors import CemBenchError, ParameterError
from cem_bench.core.images import quantize


@dataclass(frozen=True)
class Degraded:
    """A ground-truth image, the model's input made from it, and what interventions need to re-apply."""

    gt: np.ndarray  # uint8 [H, W, 3], the reference for the output
    lq: np.ndarray  # uint8 [h, w, 3], the model input (h = H / scale)
    residual: np.ndarray | None = None  # float32 [h, w, 3], additive degradation to re-apply (rain)
    info: dict[str, Any] = field(default_factory=dict)  # how it was made (seeds, drawn parameters)
    user_supplied: bool = False


class Task(ABC):
    """A degradation with its intervention rule."""

    name: ClassVar[str]
    VERSION: ClassVar[int]
    scale: int = 1

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """Parameters that change numbers (recorded in results)."""

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.VERSION, **self.params()}

    @property
    def label(self) -> str:
        """Short human label, e.g. ``sr-x4`` or ``dn-s50``."""
        return self.name

    def prepare_gt(self, gt: np.ndarray) -> np.ndarray:
        """Crop the ground truth so the task can use it (SR: to a multiple of the scale)."""
        return gt

    @abstractmethod
    def degrade(self, gt: np.ndarray, seed: int) -> Degraded:
        """Make the model input from ``gt`` (uint8 ``[H, W, 3]``), reproducibly from ``seed``."""

    def degrade_for_training(self, gt: np.ndarray, seed: int) -> Degraded:
        """A training pair's input for the patch ``gt``: ``degrade``, unless the degradation depends on the
        image's size (``dr``: its rain is normalised over the image), where the patch is degraded as a
        window of a suite-sized image."""
        return self.degrade(gt, seed)

    def pair(self, gt: np.ndarray, lq: np.ndarray) -> Degraded:
        """Use a user-supplied degraded image ``lq`` for ``gt``."""
        gt = self.prepare_gt(gt)
        expected = (gt.shape[0] // self.scale, gt.shape[1] // self.scale)
        if lq.shape[:2] != expected:
            raise ParameterError(
                "lq", f"is {lq.shape[1]}x{lq.shape[0]} but task {self.label} needs {expected[1]}x{expected[0]} "
                f"for a {gt.shape[1]}x{gt.shape[0]} ground truth")
        return Degraded(gt=gt, lq=lq, info={"lq": "user-supplied"}, user_supplied=True)

    def prepare_bank(self, bank: PatchBank, block: int, device: torch.device) -> torch.Tensor:
        """The bank as indexed by interventions: float ``[N, 3, p, p]`` on ``device``.

        Deterministic per-patch degradations (SR's resize) are applied here once per run.
        """
        if bank.patch_size != block:
            raise CemBenchError(
                f"bank {bank.name} holds {bank.patch_size}px patches but the block is {block} output pixels; "
                f"use a bank of {block}px patches (e.g. skimage-{block})"
            )
        return bank.to_tensor(device)

    def draw(self, gen: torch.Generator, count: int, shape: tuple[int, int, int]) -> torch.Tensor | None:
        """Per-intervention randomness (CPU), e.g. fresh noise; ``None`` when the task needs none."""
        return None

    def degrade_patches(
        self,
        patches: torch.Tensor,
        draws: torch.Tensor | None,
        residual_blocks: torch.Tensor | None,
    ) -> torch.Tensor:
        """Degrade a batch of intervening patches ``[K, 3, p, p]`` (already in input resolution).

        ``residual_blocks`` are the additive degradation at each patch's destination block.
        """
        return patches


def add_residual(patches: torch.Tensor, residual_blocks: torch.Tensor | None) -> torch.Tensor:
    """Re-apply an additive degradation at the destination and return an 8-bit valued input."""
    if residual_blocks is None:
        return patches
    return quantize(patches + residual_blocks)
