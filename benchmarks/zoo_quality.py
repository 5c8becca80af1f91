"""Restoration quality of the reference zoo against one published model per task, on the field's test images.

    python benchmarks/zoo_quality.py [--tasks dn,sr,dr] [--models zoo-dn-rcan-ca,...] [--threads 1] [--out FILE.json]

Every registered ``zoo-*`` model that fits a task (:func:`cem_bench.models.task_fit.fits`) is compared with
that task's reference, on the same degraded inputs:

* ``dn``: sigma 50, reference ``dncnn-color-blind``; the centre 192x192 crops of 8 CBSD68 images (every
  8th of the 68 sorted by file name).
* ``sr``: x4, reference ``carn-m-x4``; the centre 192x192 crops of the 14 CSet14 images (greyscale ones
  replicated to RGB), LR by PIL bicubic downscaling; 4 pixels shaved at every border (the SR convention).
* ``dr``: reference ``prn6-rain100l``; the 13 256x256 crops of the standard suite.

Degradations are cem-bench's own (``Task.degrade``, seed 0 for every image: the suites' protocol seed), so
the inputs are those the benchmark's maps are computed on. PSNR is the protocol's (output clipped and
rounded to 8 bits, RGB, data range 255; :func:`cem_bench.core.metrics.roi_psnr`), averaged over the
images; "input" is the degraded input's own PSNR (bicubic-upscaled for SR). Models go through
``cem_bench.load_model``. Needs the shared assets (``../shared/assets`` or ``CEM_BENCH_ASSETS``).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tabulate import tabulate

from cem_bench import ROI, get_task, load_model
from cem_bench.core.assets import asset_path
from cem_bench.core.images import read_rgb, to_tensor
from cem_bench.core.metrics import input_psnr, roi_psnr
from cem_bench.core.tasks import Task
from cem_bench.models import get_card, registered_cards
from cem_bench.models.task_fit import fits
from cem_bench.pipeline.suites import load_suite

CROP = 192


@dataclass(frozen=True)
class Benchmark:
    task: Task
    reference: str
    images: str  # what the crops are, for the table
    shave: int = 0


BENCHMARKS = {
    "dn": Benchmark(get_task("dn", sigma=50), "dncnn-color-blind", f"CBSD68, 8 centre crops {CROP} px"),
    "sr": Benchmark(get_task("sr", scale=4), "carn-m-x4", f"CSet14, 14 centre crops {CROP} px", shave=4),
    "dr": Benchmark(get_task("dr"), "prn6-rain100l", "standard suite, 13 crops 256 px"),
}


def centre(image: np.ndarray, size: int) -> np.ndarray:
    y, x = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
    return np.ascontiguousarray(image[y : y + size, x : x + size])


def _folder(name: str) -> Path:
    folder = asset_path(f"benchmarks/{name}")
    if folder is None:
        raise SystemExit(f"needs ../shared/assets/benchmarks/{name} (or CEM_BENCH_ASSETS)")
    return folder


def ground_truths(task: str) -> list[np.ndarray]:
    if task == "dn":
        files = sorted(_folder("CBSD68").glob("*.png"))
        return [centre(read_rgb(path), CROP) for path in files[:: len(files) // 8][:8]]
    if task == "sr":
        return [centre(read_rgb(path), CROP) for path in sorted(_folder("CSet14").glob("*.png"))]
    return [image.chosen().read() for image in load_suite("standard").images]


def zoo_models(task: Task, wanted: set[str] | None) -> list[str]:
    names = sorted(name for name in registered_cards() if name.startswith("zoo-"))
    return [name for name in names if (wanted is None or name in wanted) and fits(get_card(name), task)]


@torch.inference_mode()
def measure(name: str, bench: Benchmark, pairs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    """Mean PSNR of model ``name`` over the (gt, lq) pairs, its input's PSNR, and the seconds it took."""
    model = load_model(name)
    model.configure(bench.task)
    psnrs, inputs = [], []
    start = time.perf_counter()
    for gt, lq in pairs:
        roi = ROI(bench.shave, bench.shave, min(gt.shape[:2]) - 2 * bench.shave)
        window = gt[roi.y : roi.y + roi.size, roi.x : roi.x + roi.size]
        gt_255 = torch.from_numpy(np.ascontiguousarray(window)).permute(2, 0, 1).double()
        psnrs.append(float(roi_psnr(model(to_tensor(lq)[None]).double(), gt_255, roi)[0]))
        inputs.append(input_psnr(gt, lq, roi))
    return {"psnr": float(np.mean(psnrs)), "input": float(np.mean(inputs)), "seconds": time.perf_counter() - start,
            "params": model.parameter_count()}


def run(tasks: list[str], wanted: set[str] | None) -> list[dict[str, object]]:
    rows = []
    for key in tasks:
        bench = BENCHMARKS[key]
        pairs = []
        for gt in ground_truths(key):
            degraded = bench.task.degrade(bench.task.prepare_gt(gt), 0)
            pairs.append((degraded.gt, degraded.lq))
        reference = measure(bench.reference, bench, pairs)
        rows.append({"task": bench.task.label, "images": bench.images, "count": len(pairs), "model": bench.reference,
                     "role": "reference", **reference, "gap": 0.0})
        for name in zoo_models(bench.task, wanted):
            scores = measure(name, bench, pairs)
            rows.append({"task": bench.task.label, "images": bench.images, "count": len(pairs), "model": name,
                         "role": "zoo", **scores, "gap": scores["psnr"] - reference["psnr"]})
            print(f"{bench.task.label} {name}: {scores['psnr']:.2f} dB ({scores['seconds']:.0f} s)", flush=True)
    return rows


def table(rows: list[dict[str, object]]) -> str:
    body = [[row["task"], row["images"], f"`{row['model']}`" + (" (reference)" if row["role"] == "reference" else ""),
             f"{row['params']:,}", f"{row['input']:.2f}", f"{row['psnr']:.2f}", f"{row['psnr'] - row['input']:+.2f}",
             "" if row["role"] == "reference" else f"{row['gap']:+.2f}"] for row in rows]
    headers = ["task", "images", "model", "params", "input PSNR (dB)", "PSNR (dB)", "gain (dB)", "gap to reference (dB)"]
    return tabulate(body, headers=headers, tablefmt="github", disable_numparse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="dn,sr,dr", help="comma-separated, of dn, sr, dr")
    parser.add_argument("--models", default=None, help="comma-separated zoo models (default: every zoo model that fits)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out", default=None, help="also write the rows as JSON here")
    args = parser.parse_args()
    tasks = args.tasks.split(",")
    unknown = sorted(set(tasks) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(f"unknown task(s) {unknown}: choose from {sorted(BENCHMARKS)}")
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    rows = run(tasks, set(args.models.split(",")) if args.models else None)
    print(f"zoo quality, RGB PSNR (8-bit, range 255), seed 0, torch {torch.__version__}, {args.threads} thread(s), "
          f"{time.perf_counter() - started:.0f} s")
    print(table(rows))
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
