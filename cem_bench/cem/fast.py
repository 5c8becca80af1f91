"""``--fast``: channels-last memory and reduced precision. Faster on GPUs, but not exact.

A fast run is marked non-standard (its protocol id ends in ``+fast``) and records how far it is from
the standard computation, measured on the run's own unmodified input: the ROI PSNR difference and
the largest output difference.
"""

from __future__ import annotations

import torch

from cem_bench.core.geometry import ROI
from cem_bench.core.metrics import roi_psnr


class FastModel(torch.nn.Module):
    """Runs ``model`` in channels-last layout under autocast (float16 on CUDA, bfloat16 on CPU)."""

    def __init__(self, model: torch.nn.Module, device: torch.device) -> None:
        super().__init__()
        self.model = model.to(memory_format=torch.channels_last)
        self.device_type = device.type
        self.dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
        self.name = getattr(model, "name", type(model).__name__)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(self.device_type, dtype=self.dtype):
            output = self.model(x.contiguous(memory_format=torch.channels_last))
        return output.float().contiguous()


@torch.inference_mode()
def measure_deviation(standard: torch.nn.Module, fast: torch.nn.Module, lq: torch.Tensor, gt_roi: torch.Tensor,
                      roi: ROI) -> dict[str, float]:
    """ROI PSNR gap (dB) and max |output| gap between the fast and the standard model on one input."""
    reference, quick = standard(lq), fast(lq)
    gap = float((roi_psnr(quick, gt_roi, roi) - roi_psnr(reference, gt_roi, roi)).abs()[0])
    return {"roi_psnr_db": round(gap, 6), "max_abs_output": round(float((quick - reference).abs().max()), 6)}
