"""basicsr's SwinIR for any input size: pad to whole attention windows, run, crop (zoo, finding 1).

Liang, Cao, Sun, Zhang, Van Gool, Timofte. "SwinIR: Image Restoration Using Swin Transformer".
ICCVW 2021. basicsr's ``SwinIR`` needs input sides that are multiples of ``window_size``; the
authors' test script pads the input by mirroring and crops the output, which is what this wrapper
does (reflect padding at the bottom/right, replicate where the input is too small to reflect). The
network itself is basicsr's, unchanged, under ``net``. ``skip=True`` adds the bilinearly upsampled
input to the output (the global skip of basicsr's MSRResNet, see ``zoo_skip.py``) and zeroes SwinIR's
fixed mean shift, which the skip would otherwise add twice.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from model_registry.archs.zoo_skip import bilinear_skip
from model_registry.compat import import_basicsr_archs


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad ``x`` at the bottom/right so both sides are multiples of ``multiple``.

    >>> pad_to_multiple(torch.zeros(1, 3, 5, 8), 4).shape
    torch.Size([1, 3, 8, 8])
    """
    height, width = x.shape[-2:]
    pad_h, pad_w = -height % multiple, -width % multiple
    if not pad_h and not pad_w:
        return x
    mode = "reflect" if pad_h < height and pad_w < width else "replicate"
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode)


class PaddedSwinIR(nn.Module):
    """basicsr ``SwinIR(**swinir_kwargs)`` applied to the input padded to whole windows."""

    def __init__(self, skip: bool = False, **swinir_kwargs) -> None:
        super().__init__()
        import_basicsr_archs()
        from basicsr.archs.swinir_arch import SwinIR

        self.net = SwinIR(**swinir_kwargs)
        self.skip = skip
        if skip:
            self.net.mean = torch.zeros_like(self.net.mean)  # a plain attribute in basicsr, not a buffer
        self.window_size = int(swinir_kwargs.get("window_size", 7))
        self.upscale = int(swinir_kwargs.get("upscale", 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        out = self.net(pad_to_multiple(x, self.window_size))[..., : height * self.upscale, : width * self.upscale]
        return out + bilinear_skip(x, self.upscale) if self.skip else out


ARCHITECTURES = {"zoo_swinir": PaddedSwinIR}
