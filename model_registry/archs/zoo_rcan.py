"""RCAN-style networks of the reference zoo's channel-attention pairs (CEM finding 2).

Zhang, Li, Li, Wang, Zhong, Fu. "Image Super-Resolution Using Very Deep Residual Channel Attention
Networks". ECCV 2018. The network is basicsr's ``RCAN`` (residual groups of RCABs, each ending in a
channel attention: global average pool -> 1x1 squeeze -> ReLU -> 1x1 excite -> sigmoid gate), built
here at a small size and with one switch, ``attention``, so the three members of a pair differ in
nothing else:

``channel``
    basicsr's RCAN unchanged: the gate of every channel is computed from the *whole* feature map,
    so every input pixel can reach every output pixel (a global receptive field).
``none``
    the channel attention of every RCAB removed (the block is conv-ReLU-conv plus its skip): the
    receptive field is that of the convolutions alone.
``window``
    the global average pool replaced by the mean over non-overlapping ``window`` x ``window``
    windows (edge windows average their valid pixels); each window's gate multiplies that window's
    features. The same parameters as ``channel``; the attention only sees ``window``-sized context.

``upscale=1`` gives the same-size denoiser, ``upscale=4`` the x4 SR model (pixel-shuffle upsampler).
``skip=True`` adds the input, bilinearly upsampled to the output size, to RCAN's output (the global
skip of basicsr's MSRResNet, see ``zoo_skip.py``), the same for every member of a pair; RCAN's mean
shift is then zero (the skip already carries the image's mean; a learnt bias would need thousands of
steps to cancel a mean added twice).
basicsr is imported on construction (not at discovery: it is slow to import).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from model_registry.archs.windows import spread_windows, window_mean
from model_registry.archs.zoo_skip import bilinear_skip
from model_registry.compat import import_basicsr_archs

Attention = Literal["channel", "none", "window"]


class WindowMean(nn.Module):
    """:func:`window_mean` as a module, to stand in for RCAN's ``AdaptiveAvgPool2d(1)``."""

    def __init__(self, window: int) -> None:
        super().__init__()
        self.window = window

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return window_mean(x, self.window)


class WindowChannelAttention(nn.Module):
    """RCAN's channel attention with window pooling; keeps the original ``attention.N`` parameter names."""

    def __init__(self, channel_attention: nn.Module, window: int) -> None:
        super().__init__()
        self.window = window
        self.attention = channel_attention.attention  # pool, squeeze conv, ReLU, excite conv, sigmoid
        self.attention[0] = WindowMean(window)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.attention(x)  # one gate per channel and window
        return x * spread_windows(gate, self.window, x.shape[-2:])


class ZooRCAN(nn.Module):
    """basicsr RCAN (``net``) with its channel attention kept, removed or made window-local.

    ``rcan_kwargs`` go to basicsr's ``RCAN`` (``num_feat``, ``num_group``, ``num_block``,
    ``squeeze_factor``, ``upscale``, ...); ``num_in_ch``/``num_out_ch`` default to 3. ``skip`` adds the
    bilinearly upsampled input to the output.
    """

    def __init__(self, attention: Attention = "channel", window: int = 8, skip: bool = False, **rcan_kwargs) -> None:
        super().__init__()
        if attention not in ("channel", "none", "window"):
            raise ValueError(f"attention must be channel, none or window, got {attention!r}")
        if window < 1:
            raise ValueError("window must be at least 1")
        import_basicsr_archs()
        from basicsr.archs.rcan_arch import RCAB, RCAN

        self.attention = attention
        self.window = window
        self.skip = skip
        self.upscale = int(rcan_kwargs.get("upscale", 4))
        if skip:
            if any(rcan_kwargs.get("rgb_mean", (0.0,))):
                raise ValueError("with skip=True the mean shift is zero: leave rgb_mean out")
            rcan_kwargs["rgb_mean"] = (0.0, 0.0, 0.0)
        self.net = RCAN(**{"num_in_ch": 3, "num_out_ch": 3, **rcan_kwargs})
        for block in self.net.modules():
            if not isinstance(block, RCAB):
                continue
            # block.rcab = conv, ReLU, conv, ChannelAttention: only the last element changes.
            if attention == "none":
                block.rcab[3] = nn.Identity()
            elif attention == "window":
                block.rcab[3] = WindowChannelAttention(block.rcab[3], window)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.net(x)
        return out + bilinear_skip(x, self.upscale) if self.skip else out


ARCHITECTURES = {"zoo_rcan": ZooRCAN}
