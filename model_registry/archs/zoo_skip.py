"""The zoo's optional global input skip, shared so every zoo SR model has the same one.

basicsr's ``MSRResNet`` adds a bilinear upsample of its input to the output, so the network only
learns a residual. The zoo's RCAN-style and SwinIR models can add the very same skip (``skip: true``
in a card), which lets small models trained for minutes start from an interpolated image instead of
from nothing; at scale 1 the skip is the input itself (residual learning, as in DnCNN).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def bilinear_skip(x: torch.Tensor, scale: int) -> torch.Tensor:
    """``x`` upsampled by ``scale`` exactly as ``MSRResNet``'s base (bilinear, ``align_corners=False``).

    >>> bilinear_skip(torch.ones(1, 3, 2, 2), 4).shape
    torch.Size([1, 3, 8, 8])
    """
    if scale == 1:
        return x
    return F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
