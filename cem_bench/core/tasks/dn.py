"""Denoising: additive white Gaussian noise, clipped and rounded to 8 bits (the reference code truncates,
a -0.5 LSB bias; the measured deviation is in docs/protocol.md)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cem_bench.core.errors import ParameterError, require_finite
from cem_bench.core.images import quantize, to_tensor, to_uint8
from cem_bench.core.seeding import generator
from cem_bench.core.tasks.base import Degraded, Task

STANDARD_SIGMAS = (15, 25, 50)


class Denoising(Task):
    """``lq = q(clip(gt + sigma/255 * n))`` with ``n ~ N(0, 1)``; a patch gets fresh noise the same way."""

    name = "dn"
    VERSION = 1

    def __init__(self, sigma: float = 50) -> None:
        require_finite("sigma", sigma)
        if not 0 < sigma <= 255:
            raise ParameterError("sigma", f"must be in (0, 255] on the 0-255 scale, got {sigma}")
        self.sigma = float(sigma)

    def params(self) -> dict[str, Any]:
        return {"sigma": self.sigma}

    @property
    def label(self) -> str:
        return f"dn-s{self.sigma:g}"

    def _noisy(self, clean: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return quantize(clean + noise * (self.sigma / 255.0))

    def degrade(self, gt: np.ndarray, seed: int) -> Degraded:
        clean = to_tensor(gt)
        noise = torch.randn(clean.shape, generator=generator(seed, "degrade", self.name))
        return Degraded(gt=gt, lq=to_uint8(self._noisy(clean, noise)), info={"noise_seed_keys": [seed, "degrade", "dn"]})

    def draw(self, gen: torch.Generator, count: int, shape: tuple[int, int, int]) -> torch.Tensor:
        return torch.randn((count, *shape), generator=gen)

    def degrade_patches(self, patches, draws, residual_blocks):
        return self._noisy(patches, draws.to(patches.device))
