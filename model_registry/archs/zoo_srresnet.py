"""A same-size SRResNet-style backbone for the zoo's multi-task set (CEM finding 3).

basicsr's ``MSRResNet`` (Ledig et al., CVPR 2017, as modified in basicsr: residual blocks without
batch norm, LeakyReLU, a global skip from the input) only supports x2/x3/x4. The multi-task models
take same-size inputs for every degradation (noisy, rainy, or a bicubic-upsampled LR image, which the
loader makes for SR: card ``input.pre_upsample``), so this is the same design at scale 1, built from
basicsr's own parts: ``conv_first`` -> LeakyReLU -> ``num_block`` x ``ResidualBlockNoBN`` ->
``conv_hr`` -> LeakyReLU -> ``conv_last``, plus the input. Same parameter names and initialisation as
``MSRResNet`` (Kaiming normal scaled by 0.1); the network predicts a residual on its input.
"""

from __future__ import annotations

import torch
from torch import nn

from model_registry.compat import import_basicsr_archs


class SameSizeSRResNet(nn.Module):
    """``x + f(x)`` with ``f`` an SRResNet body of ``num_block`` residual blocks of ``num_feat`` channels."""

    def __init__(self, num_in_ch: int = 3, num_out_ch: int = 3, num_feat: int = 64, num_block: int = 16) -> None:
        super().__init__()
        if num_in_ch != num_out_ch:
            raise ValueError("a same-size residual network needs num_in_ch == num_out_ch")
        import_basicsr_archs()
        from basicsr.archs.arch_util import ResidualBlockNoBN, default_init_weights, make_layer

        self.conv_first = nn.Conv2d(num_in_ch, num_feat, 3, 1, 1)
        self.body = make_layer(ResidualBlockNoBN, num_block, num_feat=num_feat)
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(num_feat, num_out_ch, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.1, inplace=True)
        default_init_weights([self.conv_first, self.conv_hr, self.conv_last], 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feat = self.body(self.lrelu(self.conv_first(x)))
        return x + self.conv_last(self.lrelu(self.conv_hr(feat)))


ARCHITECTURES = {"zoo_srresnet": SameSizeSRResNet}
