"""CEM interventions per second versus bare forward images per second, same model, batch and device.

    python benchmarks/throughput.py --model dncnn-color-blind --task dn --size 96 --batch-size 16

The intervention side includes everything the estimator does per batch: drawing nothing new (draws
are made up front), pasting degraded patches on the device, the forward pass, and the ROI PSNR. The
ratio is the estimator's efficiency (goal on a GPU: >= 0.9).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from common import best_of, machine

from cem_bench.cem.checkpoint import SampleStore
from cem_bench.cem.interventions import Interventions
from cem_bench.cem.sampler import Sampler
from cem_bench.core.banks import load_bank
from cem_bench.core.device import resolve_device
from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.core.images import read_rgb, to_tensor
from cem_bench.core.metrics import roi_psnr
from cem_bench.core.tasks import get_task
from cem_bench.models import load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="dncnn-color-blind")
    parser.add_argument("--task", default="dn")
    parser.add_argument("--scale", type=int, default=None)
    parser.add_argument("--size", type=int, default=96, help="output image side (a crop of skimage astronaut)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--batches", type=int, default=4, help="batches per timed repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    device = resolve_device(args.device)
    task = get_task(args.task, scale=args.scale)
    gt = task.prepare_gt(read_rgb("skimage:astronaut")[100 : 100 + args.size, 100 : 100 + args.size])
    degraded = task.degrade(gt, 0)
    model = load_model(args.model, device=device)
    model.configure(task)
    grid = BlockGrid(*gt.shape[:2], 8, task.scale)
    roi = ROI(args.size // 2 - 16, args.size // 2 - 16, 32)
    gt_roi = torch.from_numpy(gt[roi.y : roi.y + 32, roi.x : roi.x + 32]).permute(2, 0, 1).float().to(device)
    bank = task.prepare_bank(load_bank("skimage-8"), 8, device)
    interventions = Interventions(task, bank, degraded, grid, device)
    count = args.batch_size * args.batches
    blocks = np.flatnonzero(~grid.roi_mask(roi).ravel())[:count]
    per_block = -(-count // len(blocks))
    lq = to_tensor(degraded.lq).to(device)[None].expand(args.batch_size, -1, -1, -1).contiguous()

    def bare() -> None:
        for _ in range(args.batches):
            model(lq)

    def cem() -> None:
        sampler = Sampler(task, interventions, len(bank), 0, lambda b: roi_psnr(model(b), gt_roi, roi),
                          args.batch_size, SampleStore(None, ""))
        sampler.values("coarse", blocks, per_block, per_block)

    with torch.inference_mode():
        bare_s = best_of(bare, device, args.repeats)
        cem_s = best_of(cem, device, args.repeats)
    images_per_s = count / bare_s
    interventions_per_s = len(blocks) * per_block / cem_s
    print(f"device: {machine(device)}")
    print(f"model {args.model}, task {task.label}, {args.size}px output, batch {args.batch_size}")
    print(f"bare forward:  {images_per_s:9.1f} images/s")
    print(f"CEM sampling:  {interventions_per_s:9.1f} interventions/s")
    print(f"ratio (CEM / bare): {interventions_per_s / images_per_s:.3f}")


if __name__ == "__main__":
    main()
