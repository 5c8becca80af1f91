"""BRN: bilateral recurrent network for single-image deraining.

Ren, Meng, Zuo, Hu. "Single Image Deraining Using Bilateral Recurrent Network". IEEE TIP 2020
(reference code: https://github.com/csdwren/RecDerain, class ``BRN`` in ``generator.py``).

Two PReNet-style recurrent networks, one estimating the rain streaks ``r`` and one the background
``x``, are unfolded together for ``stages`` stages (8 in the reference training and test scripts),
and their ConvLSTMs are coupled (the "bilateral LSTMs"). With ``y`` the rainy image, ``x = r = y``
and zero LSTM states ``h, c, h_r, c_r`` before the first stage, each stage does::

    f_r      = relu(conv0_r(cat[y, r]))                   # 6 -> 32
    h_r, c_r = LSTM_r(cat[f_r, h_r, h], c_r)              # sees the background branch's previous h
    r        = conv_r(3 residual blocks(h_r))             # the rain-streak estimate
    f        = relu(conv0(cat[y, x, r]))                  # 9 -> 32: uses the new rain estimate
    h, c     = LSTM(cat[f, h, h_r], c)                    # sees the rain branch's new h_r
    x        = conv(5 residual blocks(h))                 # the background estimate (no skip from y)

and the model's output is the last stage's ``x``. Weights are shared across stages.

Checkpoint notes. The reference ``BRN`` also defines ``res_conv4_r`` and ``res_conv5_r`` but its
forward uses only the rain branch's first three residual blocks; the published Rain1400 weights of
those two blocks still hold PyTorch's default initialisation (every weight within
``1 / sqrt(fan_in)``, standard deviation ``bound / sqrt(3)``), i.e. they were never trained. They are
kept as parameters only so the checkpoint loads with ``strict=True`` and are not applied here either.

Conventions (from the reference test script): images are read with OpenCV and flipped BGR -> RGB, so
the network takes RGB in ``[0, 1]``; the reference also returns every stage's outputs and clamps the
final one when saving; here only the last background estimate is returned, unclamped.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# BRN's units are PReNet's: same 3x3 conv + activation layout and residual body, same key names.
from model_registry.archs.prenet import FEATURES, _conv, _res_body

RES_BLOCKS = 5  # background branch
RAIN_RES_BLOCKS_USED = 3  # the rain branch applies res_conv1_r .. res_conv3_r only


class BRN(nn.Module):
    """The bilateral recurrent network; ``forward(rainy)`` returns the derained image."""

    def __init__(self, stages: int = 8) -> None:
        super().__init__()
        if stages < 1:
            raise ValueError("BRN needs at least one stage")
        self.stages = stages
        gates = {"i": nn.Sigmoid, "f": nn.Sigmoid, "g": nn.Tanh, "o": nn.Sigmoid}
        # Background branch (no suffix) then rain branch (suffix ``_r``), as the checkpoint names them.
        for suffix, in_channels in (("", 9), ("_r", 6)):
            self.add_module(f"conv0{suffix}", _conv(in_channels, FEATURES, nn.ReLU()))
            for index in range(1, RES_BLOCKS + 1):
                self.add_module(f"res_conv{index}{suffix}", _res_body())
            for gate, activation in gates.items():
                # Each ConvLSTM reads cat(features, own hidden state, the other branch's hidden state).
                self.add_module(f"conv_{gate}{suffix}", _conv(3 * FEATURES, FEATURES, activation()))
            self.add_module(f"conv{suffix}", _conv(FEATURES, 3, None))

    def _lstm(self, suffix: str, xh: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One ConvLSTM step of a branch on ``xh = cat(features, hidden states)``: new (hidden, cell)."""
        gate = {name: getattr(self, f"conv_{name}{suffix}")(xh) for name in "ifgo"}
        c = gate["f"] * c + gate["i"] * gate["g"]
        return gate["o"] * torch.tanh(c), c

    def _residual_blocks(self, suffix: str, count: int, x: torch.Tensor) -> torch.Tensor:
        for index in range(1, count + 1):
            x = F.relu(getattr(self, f"res_conv{index}{suffix}")(x) + x)
        return x

    def stage_outputs(self, rainy: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Every stage's (background, rain-streak) estimates, first to last."""
        batch, _, height, width = rainy.shape
        h = rainy.new_zeros(batch, FEATURES, height, width)
        c, h_r, c_r = torch.zeros_like(h), torch.zeros_like(h), torch.zeros_like(h)
        background, rain = rainy, rainy
        backgrounds: list[torch.Tensor] = []
        rains: list[torch.Tensor] = []
        for _ in range(self.stages):
            features = self.conv0_r(torch.cat((rainy, rain), dim=1))
            h_r, c_r = self._lstm("_r", torch.cat((features, h_r, h), dim=1), c_r)
            rain = self.conv_r(self._residual_blocks("_r", RAIN_RES_BLOCKS_USED, h_r))
            features = self.conv0(torch.cat((rainy, background, rain), dim=1))
            h, c = self._lstm("", torch.cat((features, h, h_r), dim=1), c)
            background = self.conv(self._residual_blocks("", RES_BLOCKS, h))
            backgrounds.append(background)
            rains.append(rain)
        return backgrounds, rains

    def forward(self, rainy: torch.Tensor) -> torch.Tensor:
        return self.stage_outputs(rainy)[0][-1]


ARCHITECTURES = {"brn": BRN}
