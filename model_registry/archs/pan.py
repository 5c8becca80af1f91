"""PAN: Pixel Attention Network (Zhao, Kong, He, Qiao, Dong; ECCV Workshops 2020).

Written from the paper and checked against the published checkpoints of zhaohengyuan1/PAN (module
and parameter names follow that layout so its state dicts load with ``strict=True``).

Network, on RGB in ``[0, 1]`` (no mean shift), ``nf`` trunk channels, ``unf`` upsampling channels::

    fea = conv3x3(x)                                   # 3 -> nf
    fea = fea + conv3x3(SCPA_1 ... SCPA_nb(fea))       # trunk of self-calibrated PA blocks
    per x2 stage (one stage for x2/x3, two for x4):
        fea = up_conv3x3(nearest_upsample(fea))        # nf (then unf) -> unf
        fea = lrelu(PA(fea)); fea = lrelu(HR_conv3x3(fea))
    y = conv3x3(fea) + bilinear_upsample(x)            # unf -> 3, global bilinear skip

PA (pixel attention): ``x * sigmoid(conv1x1(x))`` with a full 3-D (C x H x W) attention map.

SCPA (nf channels, two branches of nf/2; 1x1 and 3x3 convolutions without bias, except PAConv.k2)::

    a = lrelu(k1(lrelu(conv1_a(x))))                           # plain 3x3 branch
    b = lrelu(PAConv(lrelu(conv1_b(x))))                       # PAConv = k4(k3(b) * sigmoid(k2(b)))
    out = conv3(cat[a, b]) + x

All LeakyReLUs use slope 0.2.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

LRELU_SLOPE = 0.2


class PixelAttention(nn.Module):
    """PA: multiply by a sigmoid attention map from a 1x1 convolution (one weight per pixel and channel)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.conv(x))


class PAConv(nn.Module):
    """Pixel-attention convolution: ``k4(k3(x) * sigmoid(k2(x)))``."""

    def __init__(self, channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        padding = kernel_size // 2
        self.k2 = nn.Conv2d(channels, channels, 1)
        self.k3 = nn.Conv2d(channels, channels, kernel_size, padding=padding, bias=False)
        self.k4 = nn.Conv2d(channels, channels, kernel_size, padding=padding, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.k4(self.k3(x) * torch.sigmoid(self.k2(x)))


class SCPA(nn.Module):
    """Self-calibrated block with pixel attention (after SCNet, Liu et al. CVPR 2020)."""

    def __init__(self, nf: int, reduction: int = 2) -> None:
        super().__init__()
        width = nf // reduction
        self.conv1_a = nn.Conv2d(nf, width, 1, bias=False)
        self.conv1_b = nn.Conv2d(nf, width, 1, bias=False)
        self.k1 = nn.Sequential(nn.Conv2d(width, width, 3, padding=1, bias=False))
        self.PAConv = PAConv(width)
        self.conv3 = nn.Conv2d(width * reduction, nf, 1, bias=False)
        self.lrelu = nn.LeakyReLU(LRELU_SLOPE, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.lrelu(self.k1(self.lrelu(self.conv1_a(x))))
        b = self.lrelu(self.PAConv(self.lrelu(self.conv1_b(x))))
        return self.conv3(torch.cat([a, b], dim=1)) + x


class PAN(nn.Module):
    """PAN for ``scale`` 2, 3 or 4; RGB in [0, 1]."""

    def __init__(self, scale: int = 4, in_nc: int = 3, out_nc: int = 3, nf: int = 40, unf: int = 24, nb: int = 16) -> None:
        super().__init__()
        if scale not in (2, 3, 4):
            raise ValueError("PAN supports scale 2, 3 or 4")
        self.scale = scale
        self.conv_first = nn.Conv2d(in_nc, nf, 3, padding=1)
        self.SCPA_trunk = nn.Sequential(*(SCPA(nf) for _ in range(nb)))
        self.trunk_conv = nn.Conv2d(nf, nf, 3, padding=1)
        self.upconv1 = nn.Conv2d(nf, unf, 3, padding=1)
        self.att1 = PixelAttention(unf)
        self.HRconv1 = nn.Conv2d(unf, unf, 3, padding=1)
        if scale == 4:
            self.upconv2 = nn.Conv2d(unf, unf, 3, padding=1)
            self.att2 = PixelAttention(unf)
            self.HRconv2 = nn.Conv2d(unf, unf, 3, padding=1)
        self.conv_last = nn.Conv2d(unf, out_nc, 3, padding=1)
        self.lrelu = nn.LeakyReLU(LRELU_SLOPE, inplace=True)

    def _up_stage(self, fea: torch.Tensor, factor: int, upconv: nn.Module, att: nn.Module, hrconv: nn.Module) -> torch.Tensor:
        fea = upconv(F.interpolate(fea, scale_factor=factor, mode="nearest"))
        fea = self.lrelu(att(fea))
        return self.lrelu(hrconv(fea))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fea = self.conv_first(x)
        fea = fea + self.trunk_conv(self.SCPA_trunk(fea))
        if self.scale == 4:
            fea = self._up_stage(fea, 2, self.upconv1, self.att1, self.HRconv1)
            fea = self._up_stage(fea, 2, self.upconv2, self.att2, self.HRconv2)
        else:
            fea = self._up_stage(fea, self.scale, self.upconv1, self.att1, self.HRconv1)
        skip = F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)
        return self.conv_last(fea) + skip


ARCHITECTURES: dict[str, type[nn.Module]] = {"pan": PAN}
