"""ROI PSNR as the CEM protocol defines it."""

from __future__ import annotations

import torch

from cem_bench.core.geometry import ROI

MSE_FLOOR = 1e-10  # a perfect ROI would give +inf; the floor caps PSNR at ~148 dB so means stay finite


def roi_psnr(output: torch.Tensor, gt_roi_255: torch.Tensor, roi: ROI) -> torch.Tensor:
    """PSNR (dB) of the ROI of each output in a batch, on the output's device.

    The output ``[B, 3, H, W]`` is clipped to ``[0, 1]`` and rounded to 8 bits; the squared error
    against the 8-bit ground-truth ROI ``[3, S, S]`` (values 0..255) is averaged over all three RGB
    channels (data range 255, no border shave, no luma conversion). Differences are integers, so the
    sum is exact in float64 and does not depend on the batch size. NaN outputs give NaN.

    >>> gt = torch.zeros(3, 2, 2)
    >>> out = torch.full((1, 3, 2, 2), 1 / 255)
    >>> round(float(roi_psnr(out, gt, ROI(0, 0, 2))[0]), 4)
    48.1308
    """
    window = output[:, :, roi.y : roi.y + roi.size, roi.x : roi.x + roi.size]
    quantized = window.clamp(0, 1).mul(255).round()
    mse = (quantized - gt_roi_255).double().square().mean(dim=(1, 2, 3))
    return 10 * torch.log10(255.0**2 / mse.clamp_min(MSE_FLOOR))
