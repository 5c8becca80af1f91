"""Non-overlapping square tiles of a feature map: the local-pooling variant shared by the zoo's window
attentions (``zoo_rcan``'s RCAN and ``bsrn``'s contrast-aware channel attention), so both families mean
the same thing by "window". Partial edge tiles use their own pixels: any size is exact, no padding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def window_mean(x: torch.Tensor, window: int) -> torch.Tensor:
    """Mean over non-overlapping ``window`` x ``window`` tiles; partial edge tiles use their own pixels.

    >>> window_mean(torch.arange(16.0).view(1, 1, 4, 4), 2).flatten().tolist()
    [2.5, 4.5, 10.5, 12.5]
    """
    return F.avg_pool2d(x, window, window, ceil_mode=True)


def spread_windows(values: torch.Tensor, window: int, size: tuple[int, int] | torch.Size) -> torch.Tensor:
    """Per-tile ``values`` (as :func:`window_mean` gives them) back over their tiles' pixels, cropped to ``size``.

    >>> spread_windows(torch.tensor([[[[1.0, 2.0]]]]), 2, (1, 3)).flatten().tolist()
    [1.0, 1.0, 2.0]
    """
    spread = values.repeat_interleave(window, dim=2).repeat_interleave(window, dim=3)
    return spread[..., : size[0], : size[1]]
