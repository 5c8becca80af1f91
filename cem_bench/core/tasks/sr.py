"""Super-resolution: the input is the bicubic downscale of the ground truth (PIL, 8-bit)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PIL import Image

from cem_bench.core.banks import PatchBank
from cem_bench.core.errors import ParameterError
from cem_bench.core.tasks.base import Degraded, Task

SCALES = (2, 3, 4)


def bicubic_resize(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """PIL bicubic resize of a ``uint8`` ``[H, W, 3]`` image (antialiased when downscaling)."""
    return np.asarray(Image.fromarray(rgb).resize((width, height), Image.Resampling.BICUBIC), dtype=np.uint8)


class SuperResolution(Task):
    """``lq = bicubic_down(gt, s)``; an intervening patch is bicubically resized to the input block.

    Patches go through the same PIL (antialiased) resize as the image, as the method asks; the reference
    code resizes them with OpenCV's ``INTER_CUBIC`` instead (a measured deviation: docs/protocol.md).

    The ground truth is cropped at the bottom/right to a multiple of ``s`` (the usual modcrop).
    """

    name = "sr"
    VERSION = 1

    def __init__(self, scale: int = 4) -> None:
        if scale not in SCALES:
            raise ParameterError("scale", f"must be one of {', '.join(map(str, SCALES))} for task sr, got {scale}")
        self.scale = scale

    def params(self) -> dict[str, Any]:
        return {"scale": self.scale}

    @property
    def label(self) -> str:
        return f"sr-x{self.scale}"

    def prepare_gt(self, gt: np.ndarray) -> np.ndarray:
        height, width = (gt.shape[0] // self.scale) * self.scale, (gt.shape[1] // self.scale) * self.scale
        return np.ascontiguousarray(gt[:height, :width])

    def degrade(self, gt: np.ndarray, seed: int) -> Degraded:
        gt = self.prepare_gt(gt)
        lq = bicubic_resize(gt, gt.shape[1] // self.scale, gt.shape[0] // self.scale)
        return Degraded(gt=gt, lq=lq, info={"downscale": "PIL bicubic"})

    def prepare_bank(self, bank: PatchBank, block: int, device: torch.device) -> torch.Tensor:
        super().prepare_bank(bank, block, device)  # checks the patch size
        small = block // self.scale
        resized = np.stack([bicubic_resize(patch, small, small) for patch in bank.patches])
        return torch.from_numpy(resized).permute(0, 3, 1, 2).contiguous().to(device).float().div_(255.0)
