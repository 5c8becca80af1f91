"""FFDNet: fast and flexible non-blind denoiser (Zhang, Zuo, Zhang; IEEE TIP 2018).

Written from the paper and checked against the colour checkpoint distributed with
zhengdihan/Unsupervised_denoising (KAIR layout: a plain ``model`` Sequential whose conv layers sit at
even indices 0, 2, ..., 22 with ReLUs in between), which loads with ``strict=True``.

Network, on RGB in ``[0, 1]`` and a noise level ``sigma / 255``::

    x  = replicate-pad x to even height/width        # bottom/right only, as in KAIR
    z  = pixel_unshuffle(x, 2)                         # 3 -> 12 channels, half resolution
    z  = cat[z, M]                                     # M: the noise-level map, 1 channel -> 13
    z  = conv3x3 -> ReLU -> 10 x (conv3x3 -> ReLU) -> conv3x3   # 13 -> 96 -> ... -> 96 -> 12
    y  = pixel_shuffle(z, 2)[..., :H, :W]              # the clean image itself (no residual)

Working at half resolution is what makes FFDNet fast; the noise-level map is what makes it flexible
(one network for sigma in [0, 75], and spatially varying noise through a non-constant map).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class FFDNet(nn.Module):
    """FFDNet; ``forward(x, sigma_map)`` returns the denoised image (same size as ``x``).

    ``sigma_map`` holds ``sigma / 255``: either ``[B, 1, 1, 1]`` (one level per image, as KAIR passes
    it) or a full-resolution ``[B, 1, H, W]`` map (as the model loader passes it), which is reduced to
    the half-resolution grid by 2x2 averaging, so a constant map gives exactly its constant.
    """

    def __init__(self, in_nc: int = 3, out_nc: int = 3, nc: int = 96, nb: int = 12) -> None:
        super().__init__()
        if nb < 2:
            raise ValueError("FFDNet needs at least a head and a tail convolution")
        self.sf = 2
        area = self.sf * self.sf
        layers: list[nn.Module] = [nn.Conv2d(in_nc * area + 1, nc, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(nb - 2):
            layers += [nn.Conv2d(nc, nc, 3, padding=1), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(nc, out_nc * area, 3, padding=1))
        # Indices 0, 2, ..., 2 * (nb - 1) hold the convolutions: the checkpoint's ``model.<i>`` keys.
        self.model = nn.Sequential(*layers)

    def _level_grid(self, sigma_map: torch.Tensor, x: torch.Tensor, pad: tuple[int, int, int, int]) -> torch.Tensor:
        """The noise-level map on the half-resolution grid of the padded input."""
        batch, _, height, width = x.shape
        if sigma_map.dim() != 4 or sigma_map.shape[1] != 1 or sigma_map.shape[0] not in (1, batch):
            raise ValueError(f"sigma_map must be [B, 1, 1, 1] or [B, 1, H, W], got {tuple(sigma_map.shape)}")
        sigma_map = sigma_map.to(x)
        grid = (height // self.sf, width // self.sf)
        if sigma_map.shape[-2:] == (1, 1):
            return sigma_map.expand(batch, 1, *grid)
        if sigma_map.shape[-2:] != (height - pad[3], width - pad[1]):
            raise ValueError(f"sigma_map size {tuple(sigma_map.shape[-2:])} differs from the image's")
        level = F.pad(sigma_map, pad, mode="replicate")
        return F.avg_pool2d(level, self.sf).expand(batch, 1, *grid)

    def forward(self, x: torch.Tensor, sigma_map: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        # Odd sizes: replicate the last row/column (KAIR's ReplicationPad2d), crop afterwards.
        pad = (0, width % self.sf, 0, height % self.sf)
        padded = F.pad(x, pad, mode="replicate") if any(pad) else x
        level = self._level_grid(sigma_map, padded, pad)
        features = torch.cat([F.pixel_unshuffle(padded, self.sf), level], dim=1)
        out = F.pixel_shuffle(self.model(features), self.sf)
        return out[..., :height, :width]


ARCHITECTURES: dict[str, type[nn.Module]] = {"ffdnet": FFDNet}
