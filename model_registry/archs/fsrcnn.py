"""FSRCNN: Fast Super-Resolution Convolutional Neural Network (Dong, Loy, Tang; ECCV 2016).

"Accelerating the Super-Resolution Convolutional Neural Network". Written from the paper and
checked against the published ``fsrcnn_x4.pth`` of yjn870/FSRCNN-pytorch (module and parameter
names follow that layout so the state dict loads with ``strict=True``).

The network works on the LR image directly (no bicubic pre-upscaling) and upscales at the very
end with a transposed convolution. With ``d`` = 56, ``s`` = 12, ``m`` = 4::

    feature extraction   conv5x5 1 -> d, PReLU
    shrinking            conv1x1 d -> s, PReLU
    mapping              m x (conv3x3 s -> s, PReLU)
    expanding            conv1x1 s -> d, PReLU
    deconvolution        9x9 transposed conv d -> 1, stride = scale (output exactly scale x input)

It sees one channel: the BT.601 luma Y in [0, 1] (16-235 range / 255); model cards set
``color: luma`` so the loader feeds Y and upscales the chroma bicubically.
"""

from __future__ import annotations

import torch
from torch import nn


class FSRCNN(nn.Module):
    """FSRCNN(d, s, m) for a fixed ``scale``; PReLU with one slope per channel."""

    def __init__(self, scale: int = 4, channels: int = 1, d: int = 56, s: int = 12, m: int = 4) -> None:
        super().__init__()
        if scale < 1:
            raise ValueError("scale must be a positive integer")
        self.scale = scale
        self.first_part = nn.Sequential(nn.Conv2d(channels, d, 5, padding=2), nn.PReLU(d))
        mid: list[nn.Module] = [nn.Conv2d(d, s, 1), nn.PReLU(s)]
        for _ in range(m):
            mid += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
        mid += [nn.Conv2d(s, d, 1), nn.PReLU(d)]
        self.mid_part = nn.Sequential(*mid)
        # padding 4 and output_padding scale - 1 make the output exactly scale x the input size,
        # with output pixel scale * i aligned on input pixel i.
        self.last_part = nn.ConvTranspose2d(
            d, channels, 9, stride=scale, padding=9 // 2, output_padding=scale - 1
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.last_part(self.mid_part(self.first_part(x)))


ARCHITECTURES: dict[str, type[nn.Module]] = {"fsrcnn": FSRCNN}
