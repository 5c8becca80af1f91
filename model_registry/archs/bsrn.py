"""BSRN: Blueprint Separable Residual Network (Li, Liu, Chen, Cai, Gu, Qiao, Dong; CVPR Workshops 2022).

Written from the paper and checked against the NTIRE 2022 Efficient SR entry of team 18 (XPixel,
``team18_bsrn.pth`` of ofsoundof/NTIRE2022_ESR, the paper's BSRN-S): module and parameter names follow
that layout so its state dict (under ``params``) loads with ``strict=True``. That entry is the small,
challenge configuration: 48 channels, 5 blocks, 0.156 M parameters, RGB in ``[0, 1]`` (no mean shift).

Every pointwise (1x1) map is stored as a fully connected layer over channels (weights ``[out, in]``, not
``[out, in, 1, 1]``); :class:`Pointwise` applies it as a 1x1 convolution. Network::

    fea = BSConv(cat[x, x, x, x])                       # 12 -> nf (the input is repeated 4 times)
    b1 = ESDB1(fea); ...; b5 = ESDB5(b4)                # efficient separable distillation blocks
    lr = BSConv(gelu(pw(cat[b1..b5]))) + fea            # "c1" fuses the five outputs, "c2" + long skip
    y = pixel_shuffle(conv3x3(lr))                      # nf -> 3 * upscale^2 -> 3 channels, x upscale

BSConv (blueprint separable convolution, "BSConvU"): pointwise ``in -> out``, then a depthwise 3x3.

One ESDB (nf = C channels, distilled d = C / 2; GELU everywhere)::

    d1 = gelu(pw1(x));   r1 = gelu(BSConv1(x) + x)      # distill / refine with a shallow residual
    d2 = gelu(pw2(r1));  r2 = gelu(BSConv2(r1) + r1)
    d3 = gelu(pw3(r2));  r3 = gelu(BSConv3(r2) + r2)
    r4 = gelu(BSConv4(r3))                              # C -> d
    out = pw_out(ESA(pw5(cat[d1, d2, d3, r4])) * cw) + x

``cw`` is a learned per-channel scale. ESA (enhanced spatial attention, f = C / 4 channels)::

    c = pw_1(x)                                         # C -> f
    m = maxpool7/3(conv3x3_stride2_nopad(c))            # needs inputs of at least 15 x 15 pixels
    m = BSConv_3'(gelu(BSConv_3(gelu(BSConv_max(m)))))
    x * sigmoid(pw_4(bilinear_resize(m, size of x) + pw_f(c)))

The bilinear resize spreads every pixel's pooled statistics over the whole block: the attention is
image-wide, so one output pixel depends on the entire input.

Optional contrast-aware channel attention (``attention``; the default ``none`` is the NTIRE entry
exactly, which dropped it). The BSRN paper's full block has, after the ESA, IMDN's CCA: per channel,
the contrast (standard deviation) plus the mean of the feature map -> 1x1 reduce (C -> C / 16) ->
ReLU -> 1x1 expand -> sigmoid gate that multiplies the channel. ``channel`` takes the statistics over
the whole feature map (global, as in the paper); ``window`` over non-overlapping ``window`` x ``window``
tiles of the (low-resolution) feature map, each tile gated by its own statistics, exactly the tiling of
the zoo's ``zoo_rcan`` window attention (:func:`~model_registry.archs.windows.window_mean`: partial
edge tiles use their own pixels, so any size is exact, no padding). Both variants have the same
parameters. The gate is ``2 * sigmoid`` with the expand conv zero-initialised (see
:class:`ContrastChannelAttention`), so a network built from the NTIRE weights plus a fresh CCA computes
exactly the published network until training moves the gate.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from model_registry.archs.windows import spread_windows, window_mean

MIN_INPUT = 15  # the ESA's stride-2 conv and 7x7 / stride-3 max-pool need at least one output pixel
Attention = Literal["none", "channel", "window"]
# A flat region has variance 0, where sqrt's slope is infinite (NaN gradients): the variance is floored
# here (std >= 1e-4, far below the features' scale) and E[x^2] - E[x]^2's rounding can never go negative.
VARIANCE_FLOOR = 1e-8


class Pointwise(nn.Module):
    """A 1x1 convolution whose weight is stored ``[out, in]`` (the checkpoint's ``nn.Linear`` layout)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        # Initialised like nn.Linear; only shapes matter, the checkpoint overwrites both.
        reference = nn.Linear(in_channels, out_channels)
        self.weight = nn.Parameter(reference.weight.detach().clone())
        self.bias = nn.Parameter(reference.bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight[:, :, None, None], self.bias)


class BSConv(nn.Module):
    """Blueprint separable convolution (unconstrained variant): pointwise, then depthwise 3x3."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.pw = Pointwise(in_channels, out_channels)
        self.dw = nn.Conv2d(out_channels, out_channels, 3, padding=1, groups=out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dw(self.pw(x))


class ESA(nn.Module):
    """Enhanced spatial attention with blueprint separable convolutions (f = channels // 4)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        f = channels // 4
        self.conv1 = Pointwise(channels, f)
        self.conv_f = Pointwise(f, f)
        self.conv2 = nn.Conv2d(f, f, 3, stride=2, padding=0)
        self.conv_max = BSConv(f, f)
        self.conv3 = BSConv(f, f)
        self.conv3_ = BSConv(f, f)
        self.conv4 = Pointwise(f, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        reduced = self.conv1(x)
        pooled = F.max_pool2d(self.conv2(reduced), kernel_size=7, stride=3)
        pooled = self.conv3_(F.gelu(self.conv3(F.gelu(self.conv_max(pooled)))))
        spread = F.interpolate(pooled, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return x * torch.sigmoid(self.conv4(spread + self.conv_f(reduced)))


def contrast_statistics(x: torch.Tensor, window: int | None) -> torch.Tensor:
    """Per channel, standard deviation + mean over the whole map (``window=None``) or over each
    non-overlapping ``window`` x ``window`` tile (``[B, C, ceil(H / w), ceil(W / w)]``).

    Both come from averages of ``x`` and ``x^2`` (population variance, as IMDN's ``stdv_channels``).

    >>> x = torch.tensor([[1.0, 3.0, 5.0, 9.0], [1.0, 3.0, 5.0, 9.0]]).view(1, 1, 2, 4)
    >>> contrast_statistics(x, 2).flatten().tolist()  # tiles (1, 3, 1, 3): 1 + 2; (5, 9, 5, 9): 2 + 7
    [3.0, 9.0]
    """
    if window is None:
        mean, square = x.mean(dim=(2, 3), keepdim=True), (x * x).mean(dim=(2, 3), keepdim=True)
    else:
        mean, square = window_mean(x, window), window_mean(x * x, window)
    return (square - mean * mean).clamp_min(VARIANCE_FLOOR).sqrt() + mean


class ContrastChannelAttention(nn.Module):
    """IMDN's / the BSRN paper's contrast-aware channel attention (CCA), global or per window.

    Gate: ``2 * sigmoid(expand(relu(reduce(std + mean))))`` with ``expand`` zero-initialised. Why not the
    paper's plain sigmoid: a new gate in a *published* network must start as the identity, or fine-tuning
    starts from a damaged network; a plain sigmoid is 1 only when saturated (bias ~ +5), where its slope is
    ~0.007 and the attention could hardly learn in a short fine-tune. ``2 * sigmoid(0) = 1`` exactly, with
    slope 0.5. The factor 2 does not change what the block can compute: the ESDB multiplies the gated
    features by its learnt per-channel scale ``cw`` next, which absorbs any constant factor.
    """

    def __init__(self, channels: int, window: int | None = None, reduction: int = 16) -> None:
        super().__init__()
        self.window = window
        hidden = max(1, channels // reduction)
        self.conv_du = nn.Sequential(nn.Conv2d(channels, hidden, 1), nn.ReLU(inplace=True), nn.Conv2d(hidden, channels, 1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The reduce conv as torch initialises it, the expand conv zero: the gate starts at exactly 1."""
        self.conv_du[0].reset_parameters()
        nn.init.zeros_(self.conv_du[2].weight)
        nn.init.zeros_(self.conv_du[2].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = 2.0 * torch.sigmoid(self.conv_du(contrast_statistics(x, self.window)))
        if self.window is not None:
            gate = spread_windows(gate, self.window, x.shape[-2:])
        return x * gate


class ESDB(nn.Module):
    """Efficient separable distillation block (named ``B1`` ... ``B5`` in the checkpoint); ``attention``
    adds a CCA after the ESA (``B<n>.cca.*``, absent from the NTIRE checkpoint)."""

    def __init__(self, channels: int, attention: Attention = "none", window: int = 8) -> None:
        super().__init__()
        distilled = channels // 2
        self.c1_d = Pointwise(channels, distilled)
        self.c1_r = BSConv(channels, channels)
        self.c2_d = Pointwise(channels, distilled)
        self.c2_r = BSConv(channels, channels)
        self.c3_d = Pointwise(channels, distilled)
        self.c3_r = BSConv(channels, channels)
        self.c4 = BSConv(channels, distilled)
        self.c5 = Pointwise(distilled * 4, channels)
        self.esa = ESA(channels)
        self.cw = nn.Parameter(torch.ones(1, channels))
        self.conv_out = Pointwise(channels, channels)
        # Built last, so the other layers draw the same random numbers as in the published layout.
        self.cca = None if attention == "none" else ContrastChannelAttention(channels, window if attention == "window" else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d1, r1 = F.gelu(self.c1_d(x)), F.gelu(self.c1_r(x) + x)
        d2, r2 = F.gelu(self.c2_d(r1)), F.gelu(self.c2_r(r1) + r1)
        d3, r3 = F.gelu(self.c3_d(r2)), F.gelu(self.c3_r(r2) + r2)
        r4 = F.gelu(self.c4(r3))
        fused = self.esa(self.c5(torch.cat([d1, d2, d3, r4], dim=1)))
        if self.cca is not None:
            fused = self.cca(fused)
        return self.conv_out(fused * self.cw[:, :, None, None]) + x


class PixelShuffleDirect(nn.Module):
    """One 3x3 conv to ``out_channels * upscale^2`` channels and a pixel shuffle (``upsampleOneStep``)."""

    def __init__(self, upscale: int, channels: int, out_channels: int) -> None:
        super().__init__()
        self.upsampleOneStep = nn.Sequential(
            nn.Conv2d(channels, out_channels * upscale**2, 3, padding=1), nn.PixelShuffle(upscale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.upsampleOneStep(x)


class BSRN(nn.Module):
    """BSRN for a fixed ``upscale``; the NTIRE 2022 entry is ``BSRN(upscale=4, nf=48, num_blocks=5)``.

    ``attention`` (``none``, ``channel``, ``window``) and ``window`` add the CCA to every block (module docstring).
    """

    def __init__(self, upscale: int = 4, in_nc: int = 3, out_nc: int = 3, nf: int = 48, num_blocks: int = 5,
                 attention: Attention = "none", window: int = 8) -> None:
        super().__init__()
        if upscale < 1:
            raise ValueError("upscale must be a positive integer")
        if attention not in ("none", "channel", "window"):
            raise ValueError(f"attention must be none, channel or window, got {attention!r}")
        if window < 1:
            raise ValueError("window must be at least 1")
        self.scale = upscale
        self.num_blocks = num_blocks
        self.fea_conv = BSConv(in_nc * 4, nf)
        # Named B1 ... Bn as in the published checkpoint.
        for index in range(1, num_blocks + 1):
            self.add_module(f"B{index}", ESDB(nf, attention, window))
        self.c1 = Pointwise(nf * num_blocks, nf)
        self.c2 = BSConv(nf, nf)
        self.upsampler = PixelShuffleDirect(upscale, nf, out_nc)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if min(x.shape[-2:]) < MIN_INPUT:
            raise ValueError(f"BSRN needs inputs of at least {MIN_INPUT}x{MIN_INPUT} pixels (its spatial attention "
                             f"pools with a 7x7 window), got {x.shape[-1]}x{x.shape[-2]}")
        fea = self.fea_conv(torch.cat([x, x, x, x], dim=1))
        outputs = []
        out = fea
        for index in range(1, self.num_blocks + 1):
            out = getattr(self, f"B{index}")(out)
            outputs.append(out)
        lr = self.c2(F.gelu(self.c1(torch.cat(outputs, dim=1)))) + fea
        return self.upsampler(lr)


ARCHITECTURES: dict[str, type[nn.Module]] = {"bsrn": BSRN}
