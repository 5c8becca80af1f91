"""Score every real (non-analytic) registered model once with `cem-bench score` and tabulate the cost.

    python benchmarks/registry_timings.py [--image PATH] [--roi 96,152,32] [--fine 10] [--out runs/registry]

Each model runs on its own task (the first level its card lists), default protocol except ``--fine``,
on CPU, through the real command line. Prints one row per model: seconds, forwards, ROI PSNR,
screened blocks and the crop window.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from tabulate import tabulate

from cem_bench.cli.commands.score import CHECKPOINT
from cem_bench.core.assets import asset_path
from cem_bench.models.loading import registered_cards


def task_flags(card) -> list[str]:
    entry = card.tasks[0]
    if entry.task == "sr":
        return ["--task", "sr", "--scale", str(card.scale)]
    if entry.task == "dn":
        return ["--task", "dn", "--sigma", "50"]
    return ["--task", entry.task]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default=str(asset_path("images/cem_demo_2.png") or ""))
    parser.add_argument("--roi", default="96,152,32")
    parser.add_argument("--fine", default="10")
    parser.add_argument("--models", default=None, help="comma-separated subset")
    parser.add_argument("--out", default="runs/registry")
    parser.add_argument("--batch-size", default=None, help="passed to cem-bench score (default: automatic)")
    args = parser.parse_args()
    if not args.image:
        raise SystemExit("needs --image (cem_demo_2.png from ../shared/assets by default)")
    rows = []
    for card in registered_cards().values():
        if card.analytic or card.name.startswith("zoo-") or (args.models and card.name not in args.models.split(",")):
            continue
        out = Path(args.out) / card.name
        (out / CHECKPOINT).unlink(missing_ok=True)  # a timing starts from scratch, never from an interrupted run
        command = [sys.executable, "-m", "cem_bench.cli", "score", "--model", card.name, *task_flags(card),
                   "--image", args.image, "--roi", args.roi, "--fine", args.fine, "--device", "cpu",
                   "--out", str(out), "--quiet", "--yes",  # timings are long on purpose: no plan gate
                   *(["--batch-size", args.batch_size] if args.batch_size else [])]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            rows.append([card.name, f"{seconds:.0f}", "failed", done.stderr.strip().splitlines()[-1], "", ""])
        else:
            record = json.loads((out / "result.json").read_text())
            accel = record.get("acceleration", {})
            rows.append([card.name, f"{seconds:.0f}", record["forwards"], f"{record['psnr_roi']:.2f}",
                         accel.get("screened_blocks"), accel.get("window")])
        print(tabulate([rows[-1]], tablefmt="plain"), flush=True)
    print(tabulate(rows, headers=["model", "wall s", "forwards", "ROI PSNR", "screened", "window"], tablefmt="github"))


if __name__ == "__main__":
    main()
