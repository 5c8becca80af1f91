"""PReNet and PRN: progressive recurrent deraining networks.

Ren, Zuo, Hu, Zhu, Meng. "Progressive Image Deraining Networks: A Better and Simpler Baseline".
CVPR 2019 (reference code: https://github.com/csdwren/PReNet).

The same shallow ResNet is unfolded for ``stages`` stages. Each stage sees the rainy input
concatenated with the current estimate (the rainy input itself at the first stage), maps it to 32
features (``conv0``), optionally passes them through a convolutional LSTM whose state carries over
between stages (PReNet; PRN has no recurrent unit), refines them with five residual blocks and
predicts a 3-channel correction that is added to the rainy input: ``estimate = rainy + f(rainy,
estimate)``. Weights are shared across stages.

Conventions (from the reference data loader and test script): RGB in ``[0, 1]`` (images are read with
OpenCV and flipped BGR -> RGB before training and testing), so no channel flip is needed here.
The reference ``forward`` also returns the list of stage outputs; here only the final estimate is
returned, unclamped, as the benchmark needs a single ``[B, 3, H, W]`` tensor.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

FEATURES = 32
RES_BLOCKS = 5


def _conv(in_channels: int, out_channels: int, activation: nn.Module | None) -> nn.Sequential:
    """A 3x3 same-size conv, followed by ``activation``; a Sequential so keys read ``name.0.weight``."""
    layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, 3, 1, 1)]
    if activation is not None:
        layers.append(activation)
    return nn.Sequential(*layers)


def _res_body() -> nn.Sequential:
    """Conv-ReLU-Conv-ReLU; the block output is ``relu(body(x) + x)`` as in the reference."""
    return nn.Sequential(
        nn.Conv2d(FEATURES, FEATURES, 3, 1, 1),
        nn.ReLU(),
        nn.Conv2d(FEATURES, FEATURES, 3, 1, 1),
        nn.ReLU(),
    )


class ProgressiveDerainNet(nn.Module):
    """The progressive network; ``recurrent=True`` is PReNet, ``False`` is PRN.

    Parameter names follow the reference checkpoints (``conv0``, ``res_conv1`` .. ``res_conv5``,
    ``conv_i/f/g/o`` for the LSTM gates, ``conv``) so they load with ``strict=True``.
    """

    def __init__(self, stages: int = 6, recurrent: bool = True) -> None:
        super().__init__()
        if stages < 1:
            raise ValueError("PReNet/PRN need at least one stage")
        self.stages = stages
        self.recurrent = recurrent
        self.conv0 = _conv(6, FEATURES, nn.ReLU())
        # Registered one by one (not a ModuleList) to keep the reference key names res_conv1..5.
        for index in range(1, RES_BLOCKS + 1):
            self.add_module(f"res_conv{index}", _res_body())
        if recurrent:
            # ConvLSTM gates read concat(features, hidden state).
            self.conv_i = _conv(2 * FEATURES, FEATURES, nn.Sigmoid())
            self.conv_f = _conv(2 * FEATURES, FEATURES, nn.Sigmoid())
            self.conv_g = _conv(2 * FEATURES, FEATURES, nn.Tanh())
            self.conv_o = _conv(2 * FEATURES, FEATURES, nn.Sigmoid())
        self.conv = _conv(FEATURES, 3, None)

    def _lstm(
        self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One ConvLSTM step; returns the new (hidden, cell) state."""
        xh = torch.cat((x, h), dim=1)
        c = self.conv_f(xh) * c + self.conv_i(xh) * self.conv_g(xh)
        h = self.conv_o(xh) * torch.tanh(c)
        return h, c

    def stage_outputs(self, rainy: torch.Tensor) -> list[torch.Tensor]:
        """Every stage's estimate, first to last (the reference's ``x_list``)."""
        batch, _, height, width = rainy.shape
        h = rainy.new_zeros(batch, FEATURES, height, width)
        c = torch.zeros_like(h)
        estimate = rainy
        outputs: list[torch.Tensor] = []
        for _ in range(self.stages):
            x = self.conv0(torch.cat((rainy, estimate), dim=1))
            if self.recurrent:
                h, c = self._lstm(x, h, c)
                x = h
            for index in range(1, RES_BLOCKS + 1):
                x = F.relu(getattr(self, f"res_conv{index}")(x) + x)
            # Each stage predicts a correction of the rainy input, not of the previous estimate.
            estimate = self.conv(x) + rainy
            outputs.append(estimate)
        return outputs

    def forward(self, rainy: torch.Tensor) -> torch.Tensor:
        return self.stage_outputs(rainy)[-1]


class PReNet(ProgressiveDerainNet):
    """PReNet: the progressive network with a ConvLSTM carrying state across stages."""

    def __init__(self, stages: int = 6) -> None:
        super().__init__(stages=stages, recurrent=True)


class PRN(ProgressiveDerainNet):
    """PRN: PReNet's ablation without the recurrent unit (stages share only the estimate)."""

    def __init__(self, stages: int = 6) -> None:
        super().__init__(stages=stages, recurrent=False)


ARCHITECTURES = {"prenet": PReNet, "prn": PRN}
