"""`cem-bench demo`: the main job on the embedded defaults, no downloads and no shared assets needed.

Crops a 96x96 window of scikit-image's astronaut (an evaluation image), then scores the analytic
ground-truth models and every registered real model whose weights are on this machine (each on its
own task), with the ROI in the middle of the crop. Writes one folder per model and prints a table.
"""

from __future__ import annotations

import argparse

from PIL import Image
from tabulate import tabulate

from cem_bench.cem.protocol import Protocol
from cem_bench.core.device import resolve_device
from cem_bench.core.files import output_folder
from cem_bench.core.geometry import ROI
from cem_bench.core.images import read_rgb
from cem_bench.core.tasks import get_task
from cem_bench.pipeline.scoring import heatmap_names, score
from cem_bench.records.io import RESULT_FILE

DEMO_IMAGE = "skimage:astronaut"
DEMO_CROP = (176, 96, 96)  # x, y, size: the face, in the 512x512 original
DEMO_ROI = ROI(32, 32, 32)
DEMO_IMAGE_FILE = "astronaut_crop.png"
# (model, task, task parameters). Real models are skipped when their weights are not present.
DEMO_RUNS = (
    ("box-blur-5", "dn", {"sigma": 50}),
    ("bicubic-x4", "sr", {"scale": 4}),
    ("dncnn-color-blind", "dn", {"sigma": 50}),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="score the embedded-default demo (CPU friendly)")
    parser.add_argument("--out", default="out/demo", help="output folder (default %(default)s)")
    parser.add_argument("--fine", type=int, default=10, help="fine interventions per moved block (default %(default)s)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cem_bench.models import get_card
    from cem_bench.models.weights import find_weights

    protocol = Protocol(fine=args.fine)  # bad --fine or --device: refused before anything is written
    resolve_device(args.device)
    per_model = (RESULT_FILE, *heatmap_names([DEMO_ROI]))
    written = [DEMO_IMAGE_FILE, *(f"{name}/{file}" for name, _, _ in DEMO_RUNS for file in per_model)]
    with output_folder(args.out, files=written) as out:  # an unusable --out is refused before any work
        x, y, size = DEMO_CROP
        crop = read_rgb(DEMO_IMAGE)[y : y + size, x : x + size]
        image_path = out / DEMO_IMAGE_FILE
        Image.fromarray(crop).save(image_path)
    rows = []
    for name, task_name, params in DEMO_RUNS:
        card = get_card(name)
        if card.weights is not None and find_weights(card.weights) is None:
            print(f"skipping {name}: weights not on this machine (see `cem-bench models show {name}`)")
            continue
        scored = score(name, get_task(task_name, **params), image_path, DEMO_ROI, protocol=protocol,
                       device=args.device, progress=not args.quiet)
        scored.write(out / name)
        record = scored.record
        counts = record["counts"]
        rows.append([name, scored.task.label, f"{record['psnr_roi']:.2f}", counts["positive"], counts["negative"],
                     counts["zero"], f"{record['effect_range']['range']:.3f}", record["forwards"], f"{record['seconds']:.1f}"])
    print(tabulate(rows, headers=["model", "task", "ROI PSNR", "+", "-", "0", "range dB", "forwards", "s"], tablefmt="github"))
    print(f"maps and results in {out}/<model>/")
    return 0
