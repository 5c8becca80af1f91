"""The MANIFEST "sanity" protocol: what the original authors' code gives on the shared images.

Top-left 240x240 crops of lam_test_1, 2, 3 and 6 (RGB, [0, 1]).
- SR: LR by PIL bicubic downscaling; the model's gain over PyTorch bicubic upscaling of the LR, from
  PSNRs on RGB with an 8-pixel border shaved, pooled over the four crops. See :func:`sr_gain`.
- DN: the four crops as one batch; Gaussian noise from torch with seed 0 drawn for the whole batch,
  added unclipped; one PSNR over the whole batch (pooled MSE, not a mean of per-image PSNRs) for the
  clipped noisy input and for the clipped output. See :func:`dn_psnr`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from cem_bench.core.assets import asset_path
from cem_bench.core.images import read_rgb, to_tensor

SANITY_IMAGES = ("lam_test_1.png", "lam_test_2.png", "lam_test_3.png", "lam_test_6.png")
CROP = 240


def sanity_images() -> list[np.ndarray]:
    """uint8 [240, 240, 3] crops; callers skip when the shared assets are absent."""
    return [read_rgb(asset_path(f"images/{name}"))[:CROP, :CROP] for name in SANITY_IMAGES]


def psnr(a: torch.Tensor, b: torch.Tensor, shave: int = 0) -> float:
    if shave:
        a, b = a[..., shave:-shave, shave:-shave], b[..., shave:-shave, shave:-shave]
    mse = float(((a.clamp(0, 1) - b) ** 2).mean())
    return 10 * np.log10(1.0 / mse)


def _pil_resize(rgb: np.ndarray, factor: float) -> np.ndarray:
    size = (round(rgb.shape[1] * factor), round(rgb.shape[0] * factor))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BICUBIC))


def sr_batches(scale: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(hr, lr, bicubic)`` batches of the four crops: LR by PIL bicubic downscaling (per image),
    the baseline by PyTorch bicubic upscaling of the LR (``align_corners=False``)."""
    crops = sanity_images()
    hr = torch.stack([to_tensor(gt) for gt in crops])
    lr = torch.stack([to_tensor(_pil_resize(gt, 1 / scale)) for gt in crops])
    bicubic = F.interpolate(lr, scale_factor=scale, mode="bicubic", align_corners=False)
    return hr, lr, bicubic


@torch.inference_mode()
def sr_gain(model, scale: int) -> float:
    """PSNR gain (dB) of ``model`` (RGB [0,1] -> RGB [0,1]) over bicubic upscaling.

    The convention that reproduces the MANIFEST figures (CARN-M x4 +1.04, x2 +3.37; IMDN x4 +1.21;
    FSRCNN's bicubic Y 16.59 dB), all to within 0.01 dB: LR by PIL bicubic downscaling of each
    crop; the baseline is PyTorch bicubic upscaling of that LR (not PIL's, which is ~0.05-0.2 dB
    worse here); both PSNRs (peak 1, output and baseline clipped to [0, 1], 8-pixel border shaved)
    come from the MSE pooled over the four crops, not from a mean of per-image PSNRs (~0.3-0.6 dB
    higher here, as the crops' PSNRs differ by several dB).
    """
    hr, lr, bicubic = sr_batches(scale)
    return psnr(model(lr), hr, shave=8) - psnr(bicubic, hr, shave=8)


@torch.inference_mode()
def dn_psnr(model, sigma: float) -> tuple[float, float]:
    """(PSNR of the noisy inputs, PSNR of the model's outputs), pooled over the four crops, in dB.

    The convention that reproduces the MANIFEST figures (DnCNN colour blind: sigma 25 20.85 -> 28.09,
    sigma 50 15.42 -> 25.16; FFDNet colour: sigma 15 25.06 -> 31.52, sigma 50 15.42 -> 25.65), all to
    within 0.01 dB:

    - the four uint8 crops, divided by 255, are stacked into one contiguous ``[4, 3, 240, 240]``
      batch; ``torch.manual_seed(0)`` once, then ``randn`` of the batch's shape (NCHW order, so each
      image gets its own noise) times ``sigma / 255`` is added, **unclipped** and unquantised;
    - the model denoises the batch; a noise-level model (``noise_map`` card) is told ``sigma``;
    - PSNR (peak 1) is computed once over the whole batch, i.e. from the MSE pooled over all
      pixels of all four images, with both the noisy input and the output clipped to ``[0, 1]``.

    Pooling matters: the mean of the four per-image PSNRs is ~0.3 dB higher (28.44 / 25.42 for
    DnCNN), because the crops' PSNRs differ by several dB. This is *not* KAIR's own test script
    (main_test_dncnn.py: ``np.random.seed(0)`` numpy noise per image, output via ``tensor2uint``,
    PSNR on uint8 per image, then averaged), which gives 28.44 / 25.42 for DnCNN and 31.76 / 25.90
    for FFDNet here; rounding the output to uint8 alone moves the pooled figures by under 0.01 dB.
    """
    clean = torch.stack([to_tensor(gt) for gt in sanity_images()]).contiguous()
    card = getattr(model, "card", None)
    if card is not None and card.input.noise_map:
        from cem_bench.core.tasks import get_task

        model.configure(get_task("dn", sigma=sigma))
    torch.manual_seed(0)
    noisy = clean + torch.randn(clean.shape, dtype=clean.dtype) * (sigma / 255.0)
    return float(psnr(noisy, clean)), float(psnr(model(noisy), clean))
