"""RLFN: Residual Local Feature Network (Kong, Li, Liu, Jin, Zhou, Ling, Chen; CVPR Workshops 2022).

Written from the paper and checked against the NTIRE 2022 Efficient SR winning entry (team 04,
ByteESR, ``team04_rlfn.pth`` of ofsoundof/NTIRE2022_ESR, also released in bytedance/RLFN as
"RLFN_ntire"): module and parameter names follow that layout so its state dict loads with
``strict=True``. That entry ("RLFN_cut") has 46 feature channels, 48 inner channels, 4 blocks and
0.317 M parameters, and takes RGB in ``[0, 255]`` (the challenge's test script feeds it that range).

Network (LeakyReLU slope 0.05)::

    fea = conv3x3(x)                                      # 3 -> nf
    lr = conv3x3(RLFB4(RLFB3(RLFB2(RLFB1(fea))))) + fea   # "LR_conv" + long skip
    y = pixel_shuffle(conv3x3(lr))                        # nf -> 3 * upscale^2 -> 3 channels, x upscale

One RLFB (residual local feature block)::

    r = lrelu(c3(lrelu(c2(lrelu(c1(x))))))               # three 3x3 convs: nf -> mf -> mf -> nf
    out = ESA(conv1x1(r + x))                             # "c5", then spatial attention

ESA (the paper's lighter enhanced spatial attention, f = 16 channels; no inner activations)::

    c = conv1x1(x)                                        # nf -> f
    m = conv3x3(maxpool7/3(conv3x3_stride2_nopad(c)))     # needs inputs of at least 15 x 15 pixels
    x * sigmoid(conv1x1(bilinear_resize(m, size of x) + conv1x1_f(c)))

The bilinear resize of the pooled map makes the attention image-wide: one output pixel depends on
the whole input.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

LRELU_SLOPE = 0.05
MIN_INPUT = 15  # the ESA's stride-2 conv and 7x7 / stride-3 max-pool need at least one output pixel


def _conv(in_channels: int, out_channels: int, kernel_size: int) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)


class ESA(nn.Module):
    """Enhanced spatial attention as RLFN simplifies it: one 3x3 conv on the pooled map, no activations."""

    def __init__(self, esa_channels: int, channels: int) -> None:
        super().__init__()
        self.conv1 = _conv(channels, esa_channels, 1)
        self.conv_f = _conv(esa_channels, esa_channels, 1)
        self.conv2 = nn.Conv2d(esa_channels, esa_channels, 3, stride=2, padding=0)
        self.conv3 = _conv(esa_channels, esa_channels, 3)
        self.conv4 = _conv(esa_channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        reduced = self.conv1(x)
        pooled = self.conv3(F.max_pool2d(self.conv2(reduced), kernel_size=7, stride=3))
        spread = F.interpolate(pooled, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return x * torch.sigmoid(self.conv4(spread + self.conv_f(reduced)))


class RLFB(nn.Module):
    """Residual local feature block: three 3x3 convs with a skip, a 1x1 conv, then ESA."""

    def __init__(self, channels: int, mid_channels: int, esa_channels: int = 16) -> None:
        super().__init__()
        self.c1_r = _conv(channels, mid_channels, 3)
        self.c2_r = _conv(mid_channels, mid_channels, 3)
        self.c3_r = _conv(mid_channels, channels, 3)
        self.c5 = _conv(channels, channels, 1)
        self.esa = ESA(esa_channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.leaky_relu(self.c1_r(x), LRELU_SLOPE)
        out = F.leaky_relu(self.c2_r(out), LRELU_SLOPE)
        out = F.leaky_relu(self.c3_r(out), LRELU_SLOPE)
        return self.esa(self.c5(out + x))


class RLFN(nn.Module):
    """RLFN for a fixed ``upscale``; the NTIRE 2022 entry is ``RLFN(upscale=4, nf=46, mf=48, num_blocks=4)``."""

    def __init__(self, upscale: int = 4, in_nc: int = 3, out_nc: int = 3, nf: int = 46, mf: int = 48,
                 num_blocks: int = 4, esa_channels: int = 16) -> None:
        super().__init__()
        if upscale < 1:
            raise ValueError("upscale must be a positive integer")
        self.scale = upscale
        self.num_blocks = num_blocks
        self.fea_conv = _conv(in_nc, nf, 3)
        # Named B1 ... Bn as in the published checkpoint.
        for index in range(1, num_blocks + 1):
            self.add_module(f"B{index}", RLFB(nf, mf, esa_channels))
        self.LR_conv = _conv(nf, nf, 3)
        self.upsampler = nn.Sequential(_conv(nf, out_nc * upscale**2, 3), nn.PixelShuffle(upscale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if min(x.shape[-2:]) < MIN_INPUT:
            raise ValueError(f"RLFN needs inputs of at least {MIN_INPUT}x{MIN_INPUT} pixels (its spatial attention "
                             f"pools with a 7x7 window), got {x.shape[-1]}x{x.shape[-2]}")
        fea = self.fea_conv(x)
        out = fea
        for index in range(1, self.num_blocks + 1):
            out = getattr(self, f"B{index}")(out)
        return self.upsampler(self.LR_conv(out) + fea)


ARCHITECTURES: dict[str, type[nn.Module]] = {"rlfn": RLFN}
