"""IMDN: Information Multi-distillation Network (Hui, Gao, Yang, Wang; ACM MM 2019).

Written from the paper and checked against the published checkpoints of Zheng222/IMDN (module and
parameter names follow that layout so its state dicts load with ``strict=True``, after the
``module.`` prefix of its DataParallel checkpoints is stripped).

Network, on RGB in ``[0, 1]`` (no mean shift)::

    fea = conv3x3(x)                                   # 3 -> nf
    b1 = IMDB1(fea); ...; b6 = IMDB6(b5)               # six information multi-distillation blocks
    lr = conv3x3(lrelu(conv1x1(cat[b1..b6]))) + fea    # "c" fuses the six outputs, "LR_conv" + skip
    y = pixel_shuffle(conv3x3(lr))                     # nf -> 3 * upscale^2 -> 3 channels, x upscale

One IMDB (distillation rate 1/4, nf = 64: 16 distilled + 48 remaining channels per step)::

    s1 = lrelu(c1(x))   -> split (d1, r1)     c1: nf -> nf
    s2 = lrelu(c2(r1))  -> split (d2, r2)     c2: remaining -> nf
    s3 = lrelu(c3(r2))  -> split (d3, r3)     c3: remaining -> nf
    d4 = c4(r3)                               c4: remaining -> distilled (no activation)
    out = c5(CCA(cat[d1, d2, d3, d4])) + x    c5: 1x1 nf -> nf

CCA, contrast-aware channel attention: per channel, (standard deviation + mean) over the spatial
dimensions -> 1x1 conv (nf -> nf/16) -> ReLU -> 1x1 conv -> sigmoid, multiplied into the features.
All LeakyReLUs use slope 0.05.
"""

from __future__ import annotations

import torch
from torch import nn

LRELU_SLOPE = 0.05


def _conv(in_channels: int, out_channels: int, kernel_size: int) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=True)


class ContrastChannelAttention(nn.Module):
    """CCA: channel weights from the per-channel contrast (std) plus mean of the feature map."""

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        self.conv_du = nn.Sequential(
            nn.Conv2d(channels, channels // reduction, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels // reduction, channels, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(2, 3), keepdim=True)
        # Population standard deviation (divide by H*W), as in the reference implementation.
        std = (x - mean).pow(2).mean(dim=(2, 3), keepdim=True).sqrt()
        return x * self.conv_du(std + mean)


class IMDBlock(nn.Module):
    """Information multi-distillation block: three distill-and-refine steps, CCA, 1x1 fusion, skip."""

    def __init__(self, channels: int = 64, distillation_rate: float = 0.25) -> None:
        super().__init__()
        self.distilled = int(channels * distillation_rate)
        self.remaining = channels - self.distilled
        self.c1 = _conv(channels, channels, 3)
        self.c2 = _conv(self.remaining, channels, 3)
        self.c3 = _conv(self.remaining, channels, 3)
        self.c4 = _conv(self.remaining, self.distilled, 3)
        self.c5 = _conv(self.distilled * 4, channels, 1)
        self.cca = ContrastChannelAttention(self.distilled * 4)
        self.act = nn.LeakyReLU(LRELU_SLOPE, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        split = (self.distilled, self.remaining)
        d1, r1 = torch.split(self.act(self.c1(x)), split, dim=1)
        d2, r2 = torch.split(self.act(self.c2(r1)), split, dim=1)
        d3, r3 = torch.split(self.act(self.c3(r2)), split, dim=1)
        d4 = self.c4(r3)
        return self.c5(self.cca(torch.cat([d1, d2, d3, d4], dim=1))) + x


class IMDN(nn.Module):
    """IMDN for a fixed ``upscale`` (2, 3 or 4 in the published checkpoints); RGB in [0, 1]."""

    def __init__(self, upscale: int = 4, in_nc: int = 3, out_nc: int = 3, nf: int = 64, num_modules: int = 6) -> None:
        super().__init__()
        if upscale < 1:
            raise ValueError("upscale must be a positive integer")
        self.scale = upscale
        self.num_modules = num_modules
        self.fea_conv = _conv(in_nc, nf, 3)
        # Named IMDB1 ... IMDBn as in the published checkpoints.
        for index in range(1, num_modules + 1):
            self.add_module(f"IMDB{index}", IMDBlock(nf))
        self.c = nn.Sequential(nn.Conv2d(nf * num_modules, nf, 1), nn.LeakyReLU(LRELU_SLOPE, inplace=True))
        self.LR_conv = _conv(nf, nf, 3)
        self.upsampler = nn.Sequential(_conv(nf, out_nc * upscale**2, 3), nn.PixelShuffle(upscale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fea = self.fea_conv(x)
        outputs = []
        out = fea
        for index in range(1, self.num_modules + 1):
            out = getattr(self, f"IMDB{index}")(out)
            outputs.append(out)
        lr = self.LR_conv(self.c(torch.cat(outputs, dim=1))) + fea
        return self.upsampler(lr)


ARCHITECTURES: dict[str, type[nn.Module]] = {"imdn": IMDN}
