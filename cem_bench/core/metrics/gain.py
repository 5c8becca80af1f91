"""ROI PSNR of the degraded input itself, the baseline for a model's PSNR gain."""

from __future__ import annotations

import numpy as np
import torch

from cem_bench.core.geometry import ROI
from cem_bench.core.images import to_tensor
from cem_bench.core.metrics.psnr import roi_psnr
from cem_bench.core.tasks.sr import bicubic_resize


def input_psnr(gt: np.ndarray, lq: np.ndarray, roi: ROI) -> float:
    """ROI PSNR (dB, the protocol's definition) of the model input ``lq`` against ``gt`` (uint8 HxWx3).

    A smaller input (SR) is first upsampled to the ground truth's size with PIL bicubic
    (:func:`cem_bench.core.tasks.sr.bicubic_resize`). A model's *PSNR gain* is its ROI PSNR minus this.

    >>> gt = np.zeros((4, 4, 3), np.uint8)
    >>> round(input_psnr(gt, np.ones((4, 4, 3), np.uint8), ROI(0, 0, 2)), 4)
    48.1308
    """
    if lq.shape != gt.shape:
        lq = bicubic_resize(lq, gt.shape[1], gt.shape[0])
    window = gt[roi.y : roi.y + roi.size, roi.x : roi.x + roi.size]
    gt_roi = torch.from_numpy(np.ascontiguousarray(window)).permute(2, 0, 1).double()
    return float(roi_psnr(to_tensor(lq)[None].double(), gt_roi, roi)[0])
