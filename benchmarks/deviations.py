"""The effect of each task rule where cem-bench and the CEM reference code differ, on one real map.

    python benchmarks/deviations.py --case dn [--model dncnn-color-blind] [--image cem-demo-2] [--roi 112,112,32]
    python benchmarks/deviations.py --case sr [--model carn-m-x4]
    python benchmarks/deviations.py --case dr            # inputs only: scores only if the two rules differ there

Scores one model on one standard-suite image and ROI twice, on CPU, with the standard protocol except
``--fine`` (default 10): once with cem-bench's rule, once with the reference code's rule swapped in by
monkeypatching (nothing here is importable by the package):

* ``sr``: intervening patches downscaled with OpenCV ``INTER_CUBIC`` (no antialiasing; the reference's
  ``resize_patch``) instead of PIL bicubic (antialiased, as the LR image itself is made);
* ``dn``: the noisy image and the noisy patches truncated to 8 bits (``np.uint8(x * 255)``) instead of rounded;
* ``dr``: the version-2 rule (streak width uniform over 3/5/7 px) against the reference's p = 1/4, 1/2, 1/4,
  now cem-bench's (version 3). Both rules draw from the same generator stream, so only the width can differ.

Prints the ROI PSNR under each rule, the CE map difference (max |dCE|, Spearman over the blocks where
either map is non-zero, blocks that moved between positive / zero / negative and blocks whose sign flipped)
and the counts; ``--out`` writes them, with both maps, as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from scipy.stats import spearmanr
from tabulate import tabulate

from cem_bench.core.geometry import ROI
from cem_bench.core.tasks import dr, get_task
from cem_bench.core.tasks.dn import Denoising
from cem_bench.core.tasks.sr import SuperResolution
from cem_bench.pipeline.scoring import score
from cem_bench.pipeline.suites import load_suite
from cem_bench.records.io import ce_array

CASES = {"sr": ("carn-m-x4", {"scale": 4}), "dn": ("dncnn-color-blind", {"sigma": 50}), "dr": ("prn6-rain100l", {})}


def _cv2_prepare_bank(self: SuperResolution, bank: Any, block: int, device: torch.device) -> torch.Tensor:
    small = block // self.scale
    resized = np.stack([cv2.resize(patch, (small, small), interpolation=cv2.INTER_CUBIC) for patch in bank.patches])
    return torch.from_numpy(resized).permute(0, 3, 1, 2).contiguous().to(device).float().div_(255.0)


def _truncating_noisy(self: Denoising, clean: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    return (clean + noise * (self.sigma / 255.0)).clamp(0, 1).mul(255).floor().div(255)


def _uniform_width(gen: torch.Generator) -> int:
    return dr.WIDTHS[int(torch.randint(len(dr.WIDTHS), (), generator=gen))]


@contextlib.contextmanager
def reference_rule(case: str) -> Iterator[None]:
    """The reference code's rule for ``case`` (for ``dr``: cem-bench's former rule) while inside."""
    target, name, replacement = {"sr": (SuperResolution, "prepare_bank", _cv2_prepare_bank),
                                 "dn": (Denoising, "_noisy", _truncating_noisy),
                                 "dr": (dr, "draw_width", _uniform_width)}[case]
    original = getattr(target, name)
    setattr(target, name, replacement)
    try:
        yield
    finally:
        setattr(target, name, original)


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    a, b = ce_array(ours["ce"]), ce_array(theirs["ce"])
    defined = ~np.isnan(a) & ~np.isnan(b)
    either = defined & ((a != 0) | (b != 0))
    rho = spearmanr(a[either], b[either]).statistic if either.sum() > 2 else None
    return {
        "psnr_roi": [ours["psnr_roi"], theirs["psnr_roi"]], "psnr_input": [ours["psnr_input"], theirs["psnr_input"]],
        "delta_psnr_roi": theirs["psnr_roi"] - ours["psnr_roi"],
        "max_abs_delta_ce": float(np.abs(a - b)[defined].max()),
        "spearman_nonzero": None if rho is None else float(rho), "blocks_nonzero_in_either": int(either.sum()),
        # blocks that moved between positive / zero / negative, and of those the ones that flipped sign
        "class_changes": int((np.sign(a[defined]) != np.sign(b[defined])).sum()),
        "sign_flips": int((a[defined] * b[defined] < 0).sum()),
        "counts": [ours["counts"], theirs["counts"]], "effect_range": [ours["effect_range"]["range"],
                                                                      theirs["effect_range"]["range"]],
        "forwards": [ours["forwards"], theirs["forwards"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=sorted(CASES), required=True)
    parser.add_argument("--model", default=None, help="default: carn-m-x4 (sr), dncnn-color-blind (dn), prn6-rain100l (dr)")
    parser.add_argument("--image", default="cem-demo-2", help="a standard-suite image id")
    parser.add_argument("--roi", default="112,112,32")
    parser.add_argument("--fine", type=int, default=10)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    suite = load_suite("standard")
    default_model, params = CASES[args.case]
    model, task = args.model or default_model, get_task(args.case, **params)
    gt = suite.image(args.image).chosen().read()
    roi = ROI(*map(int, args.roi.split(",")))
    protocol = dataclasses.replace(suite.protocol, fine=args.fine)
    print(f"{args.case}: {model} on {args.image}, ROI {args.roi}, protocol {protocol.id}")
    if args.case == "dr":  # the rule only draws the rain: compare the inputs before paying for forwards
        with reference_rule("dr"):
            before = task.degrade(gt, protocol.seed)
        after = task.degrade(gt, protocol.seed)
        # the width is drawn before the streak seeds, so it is the same for every image size at one seed
        print(f"streak width at seed {protocol.seed}: version 2 {before.info['width']} px, "
              f"version 3 {after.info['width']} px")
        if np.array_equal(before.lq, after.lq) and np.array_equal(before.residual, after.residual):
            print("identical rainy inputs (and residuals): the maps are identical; nothing to score")
            return
    runs = {}
    for rule in ("cem-bench", "reference"):
        with reference_rule(args.case) if rule == "reference" else contextlib.nullcontext():
            runs[rule] = score(model, task, gt, roi, protocol=protocol, device="cpu", progress=False).record
    found = compare(runs["cem-bench"], runs["reference"])
    print(tabulate([[key, value] for key, value in found.items()], tablefmt="github", headers=["", "cem-bench vs reference"]))
    if args.out:
        Path(args.out).write_text(json.dumps({"case": args.case, "model": model, "image": args.image, "roi": args.roi,
                                              "protocol": protocol.id, **found,
                                              "ce": {rule: run["ce"] for rule, run in runs.items()}}))


if __name__ == "__main__":
    main()
