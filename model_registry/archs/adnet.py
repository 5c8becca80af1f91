"""ADNet: attention-guided CNN for image denoising.

Tian, Xu, Li, Zuo, Fei, Liu. "Attention-guided CNN for image denoising". Neural Networks 124, 2020
(reference code: https://github.com/hellloxiaotian/ADNet, ``color/models.py``).

Written from the paper and the reference code's forward, and checked to load the authors' colour
checkpoints (``color/cblind``, ``color/c50``) with ``strict=True``. The network, on a noisy image
``y`` in ``[0, 1]``::

    f = layers 1..15(y)             # conv3x3 without bias -> BN -> ReLU, 64 channels; layers 2, 5, 9
                                    # and 12 dilated by 2
    n = conv3x3(f)                  # layer 16: 64 -> 3, no bias: the predicted noise
    a = conv1x1(tanh(cat[y, n]))    # 6 -> 3, with bias: the attention weights, one per pixel and channel
    x = y - a * n                   # the clean estimate

In the paper's terms: layers 1-12 are the sparse block, layers 13-16 with the concatenation with the
input and the tanh the feature-enhancement block, ``a`` and the product the attention block, and the
subtraction the reconstruction block.

The attention is local: ``a`` at a pixel depends only on ``y`` and ``n`` at that pixel, so it
reweights the predicted noise pixel by pixel and adds no receptive field (unlike RCAN's global channel
attention). The feature path is a plain chain (the reference keeps the 8th layer's output in a
variable it never uses), so the receptive field is 1 + 12 * 2 + 4 * 4 = 41 pixels square.

Channel order: the reference reads training and test images with OpenCV and never converts them, so
the published weights expect **BGR**. ``channel_order="bgr"`` flips RGB input to BGR and the output
back, so the model takes and returns RGB like every other registered model.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

FEATURES = 64
LAYERS = 15  # conv-BN-ReLU layers before the noise head (the reference's conv1_1 .. conv1_15)
DILATED = frozenset({2, 5, 9, 12})  # 1-based indices of the dilation-2 layers


def _conv_bn_relu(in_channels: int, dilation: int) -> nn.Sequential:
    """3x3 same-size conv (no bias) -> BN -> ReLU; a Sequential so keys read ``name.0/1.*``."""
    return nn.Sequential(
        nn.Conv2d(in_channels, FEATURES, 3, padding=dilation, dilation=dilation, bias=False),
        nn.BatchNorm2d(FEATURES),
        nn.ReLU(),
    )


class ADNet(nn.Module):
    """ADNet for ``channels``-channel images; ``forward(y)`` returns the denoised image (same size).

    Parameter names follow the reference checkpoints (``conv1_1`` .. ``conv1_16``, ``conv3``; the
    ``module.`` prefix of its DataParallel state dicts is stripped by the card) so they load strictly.
    """

    def __init__(self, channels: int = 3, channel_order: Literal["rgb", "bgr"] = "rgb") -> None:
        super().__init__()
        if channel_order not in ("rgb", "bgr"):
            raise ValueError(f"channel_order must be 'rgb' or 'bgr', not {channel_order!r}")
        if channel_order == "bgr" and channels != 3:
            raise ValueError("channel_order 'bgr' needs 3 channels")
        self.flip_channels = channel_order == "bgr"
        for index in range(1, LAYERS + 1):
            # Registered one by one to keep the reference key names conv1_1 .. conv1_15.
            in_channels = channels if index == 1 else FEATURES
            self.add_module(f"conv1_{index}", _conv_bn_relu(in_channels, 2 if index in DILATED else 1))
        self.conv1_16 = nn.Conv2d(FEATURES, channels, 3, padding=1, bias=False)
        self.conv3 = nn.Conv2d(2 * channels, channels, 1)

    def noise_and_attention(self, noisy: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The predicted noise ``n`` and the attention ``a`` (network channel order); output = y - a * n."""
        features = noisy
        for index in range(1, LAYERS + 1):
            features = getattr(self, f"conv1_{index}")(features)
        noise = self.conv1_16(features)
        attention = self.conv3(torch.tanh(torch.cat((noisy, noise), dim=1)))
        return noise, attention

    def forward(self, noisy: torch.Tensor) -> torch.Tensor:
        if self.flip_channels:
            noisy = noisy.flip(1)  # RGB -> BGR (a 3-channel flip is its own inverse)
        noise, attention = self.noise_and_attention(noisy)
        clean = noisy - attention * noise
        return clean.flip(1) if self.flip_channels else clean


ARCHITECTURES = {"adnet": ADNet}
