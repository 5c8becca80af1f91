"""Y-channel PSNR of registered SR models on a standard test set, the way SR papers report it.

    python benchmarks/paper_psnr.py [--models bicubic,bsrn-s-x4] [--set CSet14] [--images face,comic] [--per-image]

Checks that a registered checkpoint reproduces its paper's table (the sanity check of issue 17),
not a benchmark metric. The field's protocol (EDSR / BasicSR test scripts), followed here:

- HR: the test image (greyscale files replicated to RGB), cropped to a multiple of the scale;
- LR: MATLAB ``imresize`` bicubic downscaling with antialiasing (basicsr's port), rounded to 8 bits;
- the model's output clipped and rounded to 8 bits (as saved PNGs are);
- PSNR on the Y channel of BT.601 YCbCr (16-235), ``scale`` pixels shaved at every border,
  averaged over the images (a mean of per-image PSNRs, not a pooled MSE).

The ``bicubic`` row (MATLAB bicubic upscaling of the same LR) calibrates the pipeline: the field's
Set14 x4 bicubic figure is 26.00 dB. Models go through :func:`cem_bench.models.loading.load_model`,
so each card's input conventions (range, colour, key, prefix) are the ones exercised.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from tabulate import tabulate

from cem_bench.core.assets import asset_path
from cem_bench.core.images import read_rgb
from cem_bench.models.loading import load_model
from model_registry.compat import install_torchvision_shim

DEFAULT_MODELS = "bicubic,imdn-x4,bsrn-s-x4,rlfn-ntire-x4,realesr-animevideov3-x4,grl-tiny-x4"


def _basicsr() -> tuple:
    """basicsr's MATLAB-compatible ``imresize`` and its Y-channel PSNR (imported behind the shim)."""
    install_torchvision_shim()
    from basicsr.metrics.psnr_ssim import calculate_psnr
    from basicsr.utils.matlab_functions import imresize

    return imresize, calculate_psnr


def _uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)


def lr_and_hr(path: Path, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """``(lr, hr)`` as uint8 RGB: HR mod-cropped to ``scale``, LR by MATLAB bicubic downscaling."""
    imresize, _ = _basicsr()
    hr = read_rgb(path)
    hr = hr[: hr.shape[0] - hr.shape[0] % scale, : hr.shape[1] - hr.shape[1] % scale]
    return _uint8(imresize(hr.astype(np.float64) / 255.0, 1.0 / scale)), hr


def y_psnr(output: np.ndarray, hr: np.ndarray, shave: int) -> float:
    """PSNR (dB) of two uint8 RGB images on BT.601 Y, ``shave`` pixels cropped (basicsr expects BGR)."""
    _, calculate_psnr = _basicsr()
    return float(calculate_psnr(output[..., ::-1], hr[..., ::-1], crop_border=shave, test_y_channel=True))


@torch.inference_mode()
def super_resolve(name: str, lr: np.ndarray, scale: int, model: torch.nn.Module | None) -> np.ndarray:
    """uint8 RGB output of ``model`` (or MATLAB bicubic upscaling for ``bicubic``) on the uint8 ``lr``."""
    if model is None:
        imresize, _ = _basicsr()
        return _uint8(imresize(lr.astype(np.float64) / 255.0, float(scale)))
    x = torch.from_numpy(lr).permute(2, 0, 1)[None].float() / 255.0
    return _uint8(model(x)[0].clamp(0, 1).permute(1, 2, 0).numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=DEFAULT_MODELS, help="comma-separated card names; 'bicubic' for the baseline")
    parser.add_argument("--set", default="CSet14", help="folder under the assets' benchmarks/ (default CSet14)")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--limit", type=int, default=None, help="only the first N images (sorted by name)")
    parser.add_argument("--images", default=None, help="comma-separated image names (file stems), e.g. face,comic")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--per-image", action="store_true", help="add each image's PSNR to the table")
    args = parser.parse_args()
    folder = asset_path(f"benchmarks/{args.set}")
    if folder is None:
        raise SystemExit(f"needs ../shared/assets/benchmarks/{args.set}")
    torch.set_num_threads(args.threads)
    images = sorted(folder.glob("*.png"))[: args.limit]
    if args.images:
        wanted = set(args.images.split(","))
        images = [path for path in images if path.stem in wanted]
        if len(images) != len(wanted):
            raise SystemExit(f"unknown image in --images: {sorted(wanted - {path.stem for path in images})}")
    pairs = {path.stem: lr_and_hr(path, args.scale) for path in images}
    rows = []
    for name in args.models.split(","):
        model = None if name == "bicubic" else load_model(name)
        if model is not None and model.scale != args.scale:
            raise SystemExit(f"{name} is a x{model.scale} model, not x{args.scale}")
        start = time.perf_counter()
        scores = {stem: y_psnr(super_resolve(name, lr, args.scale, model), hr, args.scale) for stem, (lr, hr) in pairs.items()}
        rows.append([name, f"{np.mean(list(scores.values())):.2f}", len(scores), f"{time.perf_counter() - start:.0f}"])
        if args.per_image:
            rows[-1].append(" ".join(f"{stem}={value:.2f}" for stem, value in scores.items()))
    print(f"{args.set} x{args.scale}, Y-channel PSNR (dB), shave {args.scale}, MATLAB-bicubic LR, "
          f"{len(images)} images, torch {torch.__version__}, {torch.get_num_threads()} threads")
    headers = ["model", "PSNR-Y (dB)", "images", "seconds"] + (["per image"] if args.per_image else [])
    print(tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True))


if __name__ == "__main__":
    main()
