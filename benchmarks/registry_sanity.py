"""Sanity checks of registered denoisers and deraining models against their papers' test protocols.

    python benchmarks/registry_sanity.py dn [--models adnet-color-s50,adnet-color-blind] [--sigma 50]
                                            [--every 1] [--draws 1] [--threads 1]
    python benchmarks/registry_sanity.py dr [--models brn-rain1400,prenet6-rain1400] [--threads 1]

``dn``: CBSD68 (all 68 images from ../shared/assets/benchmarks/CBSD68, or every ``--every``-th) with
the ADNet authors' test protocol (hellloxiaotian/ADNet, ``color/test_c.py``): the image in ``[0, 1]``
in OpenCV's BGR order, ``torch.manual_seed(12)`` before each image, float Gaussian noise of
``sigma / 255`` drawn for ``[draws, 3, H, W]`` and added unclipped (the script tiles each image
``draws = 3`` times), the output clamped to ``[0, 1]``, PSNR (peak 1) per copy on floats, averaged over
the copies and then over the images. Every model gets the same noisy images (RGB models get them in
RGB order). ``--draws 1`` (the default here, for CPU time) keeps only the first copy.

``dr``: there is no Rain1400 (or Rain100L) test set in the shared assets, so the papers' figures cannot
be checked; instead each model derains cem-bench's own synthetic rain (task ``dr``, seed 0, as the
suites use it) on the four MANIFEST sanity crops (top-left 240x240 of lam_test_1, 2, 3, 6) and on the
13 crops of the standard suite, and the table gives the mean rainy and derained PSNR and the worst
per-image gain.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from tabulate import tabulate

from cem_bench.core.assets import asset_path
from cem_bench.core.images import read_rgb, to_tensor
from cem_bench.core.tasks import get_task
from cem_bench.models.loading import load_model
from cem_bench.pipeline.suites import load_suite

SANITY_IMAGES = ("lam_test_1.png", "lam_test_2.png", "lam_test_3.png", "lam_test_6.png")
SANITY_CROP = 240


def psnr(output: torch.Tensor, clean: torch.Tensor) -> float:
    """PSNR (peak 1) of one image ``[3, H, W]``, output clamped to ``[0, 1]``."""
    mse = float(((output.clamp(0, 1) - clean) ** 2).mean())
    return 10 * float(np.log10(1.0 / mse))


@torch.inference_mode()
def dn(models: list[str], sigma: float, every: int, draws: int) -> list[list[object]]:
    folder = asset_path("benchmarks/CBSD68")
    if folder is None:
        raise SystemExit("needs ../shared/assets/benchmarks/CBSD68")
    files = sorted(folder.glob("*.png"))[::every]
    loaded = {}
    for name in models:
        model = load_model(name)
        model.configure(get_task("dn", sigma=sigma))  # refuses a level outside the card; FFDNet gets its sigma
        loaded[name] = model
    noisy_psnr: list[float] = []
    scores: dict[str, list[float]] = {name: [] for name in models}
    for number, path in enumerate(files, 1):
        clean_bgr = to_tensor(read_rgb(path)).flip(0)  # [3, H, W] in OpenCV's channel order, as the reference reads it
        torch.manual_seed(12)
        noisy_bgr = clean_bgr + torch.empty(draws, *clean_bgr.shape).normal_(mean=0.0, std=sigma / 255.0)
        noisy_psnr.append(float(np.mean([psnr(copy, clean_bgr) for copy in noisy_bgr])))
        for name, model in loaded.items():
            start = time.perf_counter()
            output_bgr = model(noisy_bgr.flip(1)).flip(1)  # the registered models take and return RGB
            scores[name].append(float(np.mean([psnr(out, clean_bgr) for out in output_bgr])))
            print(f"[{number}/{len(files)}] {path.name} {name}: {scores[name][-1]:.2f} dB "
                  f"({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    rows = [["noisy input (clipped)", len(files), f"{np.mean(noisy_psnr):.2f}", ""]]
    for name in models:
        rows.append([name, len(files), f"{np.mean(scores[name]):.2f}", f"{np.mean(scores[name]) - np.mean(noisy_psnr):+.2f}"])
    return rows


def _dr_images() -> dict[str, list[np.ndarray]]:
    sanity = [read_rgb(asset_path(f"images/{name}"))[:SANITY_CROP, :SANITY_CROP] for name in SANITY_IMAGES]
    standard = [image.chosen().read() for image in load_suite("standard").images]
    return {"sanity crops (4 x 240 px)": sanity, "standard suite crops (13 x 256 px)": standard}


@torch.inference_mode()
def dr(models: list[str]) -> list[list[object]]:
    if asset_path("images") is None:
        raise SystemExit("needs ../shared/assets/images")
    task = get_task("dr")
    rows = []
    for label, images in _dr_images().items():
        pairs = []
        for gt in images:
            degraded = task.degrade(task.prepare_gt(gt), 0)  # seed 0: the suites' protocol seed
            pairs.append((to_tensor(degraded.lq)[None], to_tensor(degraded.gt)[None]))
        rainy = [psnr(lq[0], gt[0]) for lq, gt in pairs]
        for name in models:
            model = load_model(name)
            model.configure(task)
            start = time.perf_counter()
            derained = [psnr(model(lq)[0], gt[0]) for lq, gt in pairs]
            gains = np.subtract(derained, rainy)
            print(f"{label} {name}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
            rows.append([label, name, f"{np.mean(rainy):.2f}", f"{np.mean(derained):.2f}", f"{gains.mean():+.2f}",
                         f"{gains.min():+.2f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=["dn", "dr"])
    parser.add_argument("--models", default=None, help="comma-separated registered models")
    parser.add_argument("--sigma", type=float, default=50.0, help="dn: noise level (0-255 scale)")
    parser.add_argument("--every", type=int, default=1, help="dn: use every N-th CBSD68 image (sorted by name)")
    parser.add_argument("--draws", type=int, default=1, help="dn: noise copies per image (the reference uses 3)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.check == "dn":
        models = (args.models or "adnet-color-s50,adnet-color-blind").split(",")
        rows = dn(models, args.sigma, args.every, args.draws)
        print(tabulate(rows, headers=["model", "images", f"CBSD68 sigma {args.sigma:g} PSNR", "gain"], tablefmt="github", disable_numparse=True))
    else:
        models = (args.models or "brn-rain1400,prenet6-rain1400").split(",")
        rows = dr(models)
        print(tabulate(rows, headers=["images", "model", "rainy PSNR", "derained PSNR", "mean gain", "worst gain"],
                       tablefmt="github", disable_numparse=True))


if __name__ == "__main__":
    main()
