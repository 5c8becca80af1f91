"""Wall time and forward passes of whole CEM runs, with and without the exact accelerations.

    python benchmarks/end_to_end.py --case dn96          # (a) the issue's DN configuration
    python benchmarks/end_to_end.py --case full --plain  # (b) 256x256 standard protocol, both ways

(a) dncnn-color-blind, dn sigma 50, the 96x96 crop of cem_demo_2 at (64, 120) with its noisy version
    given as ``--lq``, ROI 32,32,32, block 8, coarse 3, fine 10.
(b) the standard protocol (fine 50) on the whole 256x256 cem_demo_2, ROI 96,152,32, for
    dncnn-color-blind (dn sigma 50) and fsrcnn-x4 (sr x4). Unaccelerated runs take long on a CPU:
    they are only made with ``--plain``.
Speed-ups are ratios of runs made in the same invocation; the maps are checked to be identical.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from common import machine
from PIL import Image

from cem_bench import Protocol, score
from cem_bench.cem.acceleration import Acceleration
from cem_bench.core.assets import asset_path
from cem_bench.core.device import resolve_device
from cem_bench.core.images import read_rgb
from cem_bench.core.tasks import get_task

CASES = {
    "dn96": [("dncnn-color-blind", {"name": "dn", "sigma": 50}, (64, 120, 96), "32,32,32", Protocol(fine=10))],
    "full": [("dncnn-color-blind", {"name": "dn", "sigma": 50}, None, "96,152,32", Protocol()),
             ("fsrcnn-x4", {"name": "sr", "scale": 4}, None, "96,152,32", Protocol())],
}


def prepare(folder: Path, crop: tuple[int, int, int] | None, task) -> tuple[Path, Path]:
    source = asset_path("images/cem_demo_2.png")
    if source is None:
        raise SystemExit("needs ../shared/assets/images/cem_demo_2.png (set CEM_BENCH_ASSETS)")
    gt = read_rgb(source)
    if crop is not None:
        x, y, size = crop
        gt = gt[y : y + size, x : x + size]
    gt = task.prepare_gt(gt)
    Image.fromarray(gt).save(folder / "gt.png")
    Image.fromarray(task.degrade(gt, 0).lq).save(folder / "lq.png")
    return folder / "gt.png", folder / "lq.png"


def timed(model: str, task, gt: Path, lq: Path, roi: str, protocol: Protocol, acceleration: Acceleration,
          device: str, batch_size: int | None):
    start = time.perf_counter()
    run = score(model, task, gt, roi, lq=lq, protocol=protocol, device=device, batch_size=batch_size,
                acceleration=acceleration, progress=True)
    return run.result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=sorted(CASES), default="dn96")
    parser.add_argument("--plain", action="store_true", help="also run without accelerations (always on for dn96)")
    parser.add_argument("--models", default=None, help="comma-separated subset of the case's models")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1, help="alternate the two runs this often; keep the fastest")
    args = parser.parse_args()
    device = resolve_device(args.device)
    print(f"device: {machine(device)}")
    with tempfile.TemporaryDirectory() as folder:
        for model, task_spec, crop, roi, protocol in CASES[args.case]:
            if args.models and model not in args.models.split(","):
                continue
            task = get_task(**task_spec)
            gt, lq = prepare(Path(folder), crop, task)
            both = args.plain or args.case == "dn96"
            settings = [("accelerated", Acceleration())] + ([("plain", Acceleration.off())] if both else [])
            best: dict[str, tuple] = {}
            for _ in range(args.repeats):
                for name, acceleration in settings:  # alternated, so both see the same machine load
                    result, seconds = timed(model, task, gt, lq, roi, protocol, acceleration, args.device,
                                            args.batch_size)
                    if name not in best or seconds < best[name][1]:
                        best[name] = (result, seconds)
            fast, fast_s = best["accelerated"]
            print(f"{model} {task.label} {protocol.id}: accelerated {fast.forwards} forwards, {fast_s:.1f} s "
                  f"(screened {fast.acceleration['screened_blocks']} blocks, window {fast.acceleration['window']})",
                  flush=True)
            if both:
                plain, plain_s = best["plain"]
                same = np.array_equal(fast.ce, plain.ce, equal_nan=True)
                print(f"  plain {plain.forwards} forwards, {plain_s:.1f} s; speed-up x{plain_s / fast_s:.2f} "
                      f"wall, x{plain.forwards / fast.forwards:.2f} forwards; maps identical: {same}", flush=True)


if __name__ == "__main__":
    main()
