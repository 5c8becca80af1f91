"""CARN-M: the mobile Cascading Residual Network (Ahn, Kang, Sohn; ECCV 2018).

"Fast, Accurate, and Lightweight Super-Resolution with Cascading Residual Network". Written from
the paper and checked against the published ``carn_m.pth`` of nmhkahn/CARN-pytorch (module and
parameter names follow that layout so the state dict loads with ``strict=True``).

One network serves x2, x3 and x4: the body is shared and only the upsampler depends on the scale,
which is therefore an argument of :meth:`CARNM.forward` (model cards set ``scale_argument: true``).

Network, on RGB in ``[0, 1]``::

    x = sub_mean(x)                          # 1x1 conv, identity weight, bias = -DIV2K mean
    c0 = o0 = entry(x)                       # conv3x3, 3 -> 64
    b_i = Block_i(o_{i-1});  c_i = cat[c_{i-1}, b_i];  o_i = relu(conv1x1(c_i))   for i = 1, 2, 3
    y = add_mean(exit(up_scale(o3)))         # conv3x3 64 -> 3, bias = +DIV2K mean

A cascading block (``Block``) repeats the same cascade *inside*, with one efficient residual block
whose weights are shared by its three uses (the "recursive" variant that makes CARN-M small)::

    e(x) = relu(conv1x1(relu(gconv3x3(relu(gconv3x3(x))))) + x)    # gconv: group convolution

The upsampler for scale 2 / 4 is one / two (group conv3x3 64 -> 256, ReLU, pixel shuffle x2); for
scale 3 it is group conv3x3 64 -> 576, ReLU, pixel shuffle x3.
"""

from __future__ import annotations

import torch
from torch import nn

# DIV2K RGB mean used by the reference code; the checkpoint stores it as the shifters' biases.
DIV2K_MEAN = (0.4488, 0.4371, 0.4040)


class MeanShift(nn.Module):
    """Adds ``sign * mean`` per channel as a frozen 1x1 convolution (named ``shifter`` in the weights)."""

    def __init__(self, mean: tuple[float, float, float], sign: int) -> None:
        super().__init__()
        self.shifter = nn.Conv2d(3, 3, 1)
        with torch.no_grad():
            self.shifter.weight.copy_(torch.eye(3).view(3, 3, 1, 1))
            self.shifter.bias.copy_(torch.tensor(mean) * sign)
        self.shifter.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shifter(x)


class ConvReLU(nn.Module):
    """Convolution followed by ReLU (``body.0`` is the convolution, as in the checkpoint)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2), nn.ReLU(inplace=True)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class EfficientResidualBlock(nn.Module):
    """Two 3x3 group convolutions and a 1x1 pointwise convolution, a skip, then ReLU."""

    def __init__(self, channels: int = 64, group: int = 4) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, groups=group),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=1, groups=group),
            nn.ReLU(inplace=True),
            # The 1x1 convolution mixes the groups, which the group convolutions keep apart.
            nn.Conv2d(channels, channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + x)


def _cascade(x: torch.Tensor, units: list[nn.Module], fusions: list[nn.Module]) -> torch.Tensor:
    """The cascading connection: every fusion sees the concatenation of all earlier outputs."""
    concatenated = output = x
    for unit, fusion in zip(units, fusions):
        concatenated = torch.cat([concatenated, unit(output)], dim=1)
        output = fusion(concatenated)
    return output


class CascadingBlock(nn.Module):
    """Local cascade of three uses of one shared efficient residual block (``b1``) with 1x1 fusions."""

    def __init__(self, channels: int = 64, group: int = 4) -> None:
        super().__init__()
        self.b1 = EfficientResidualBlock(channels, group)
        self.c1 = ConvReLU(channels * 2, channels)
        self.c2 = ConvReLU(channels * 3, channels)
        self.c3 = ConvReLU(channels * 4, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Recursive weight sharing: the same residual block is applied three times.
        return _cascade(x, [self.b1, self.b1, self.b1], [self.c1, self.c2, self.c3])


class ScaleUpsampler(nn.Module):
    """Group conv -> ReLU -> pixel shuffle, once for x2 / x3 and twice (x2 each) for x4."""

    def __init__(self, channels: int, scale: int, group: int = 4) -> None:
        super().__init__()
        steps = {2: [2], 3: [3], 4: [2, 2]}.get(scale)
        if steps is None:
            raise ValueError(f"CARN upsampler supports scales 2, 3 and 4, not {scale}")
        layers: list[nn.Module] = []
        for factor in steps:
            layers += [
                nn.Conv2d(channels, channels * factor**2, 3, padding=1, groups=group),
                nn.ReLU(inplace=True),
                nn.PixelShuffle(factor),
            ]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class MultiScaleUpsampler(nn.Module):
    """One upsampler per scale (``up2``, ``up3``, ``up4``); the scale is picked at call time."""

    SCALES = (2, 3, 4)

    def __init__(self, channels: int, group: int = 4) -> None:
        super().__init__()
        for scale in self.SCALES:
            self.add_module(f"up{scale}", ScaleUpsampler(channels, scale, group))

    def forward(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        if scale not in self.SCALES:
            raise ValueError(f"CARN-M upscales x2, x3 or x4, not x{scale}")
        return getattr(self, f"up{scale}")(x)


class CARNM(nn.Module):
    """CARN-M (group convolutions, shared residual blocks, multi-scale upsampler); RGB in [0, 1]."""

    def __init__(self, channels: int = 64, group: int = 4) -> None:
        super().__init__()
        self.sub_mean = MeanShift(DIV2K_MEAN, sign=-1)
        self.add_mean = MeanShift(DIV2K_MEAN, sign=+1)
        self.entry = nn.Conv2d(3, channels, 3, padding=1)
        self.b1 = CascadingBlock(channels, group)
        self.b2 = CascadingBlock(channels, group)
        self.b3 = CascadingBlock(channels, group)
        self.c1 = ConvReLU(channels * 2, channels)
        self.c2 = ConvReLU(channels * 3, channels)
        self.c3 = ConvReLU(channels * 4, channels)
        self.upsample = MultiScaleUpsampler(channels, group)
        self.exit = nn.Conv2d(channels, 3, 3, padding=1)

    def forward(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        features = self.entry(self.sub_mean(x))
        # Global cascade: the same wiring as inside a block, with the three blocks as units.
        features = _cascade(features, [self.b1, self.b2, self.b3], [self.c1, self.c2, self.c3])
        return self.add_mean(self.exit(self.upsample(features, int(scale))))


ARCHITECTURES: dict[str, type[nn.Module]] = {"carn_m": CARNM}
