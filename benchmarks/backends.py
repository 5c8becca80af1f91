"""Torch eager vs the onnxruntime backend, alternating in one run: per-image forward time and whole
`cem-bench score` wall, at the standard suite's image size (cem_demo_2, 256x256, ROI 96,152,32).

    python backends.py                          # forwards: 5 models x (batch 1, automatic batch)
    python backends.py --score --fine 10        # also whole `cem-bench score` runs (hours on a CPU for craft-x4)
    python backends.py --quick                  # smoke: zoo-sr-rcan-ca, a 32x32 image, 2 rounds, a tiny score

Forwards: one process; each round times one forward per backend, the order alternating between rounds;
medians over rounds, and the median of the per-round ratios torch / onnxruntime. The input is the task's own
degraded cem_demo_2 (SR x4: 64x64), repeated to the batch; "auto" is the estimator's automatic batch for the
whole image. "prepare" is onnxruntime's export (or cache hit), session and check against torch.
Scores: `cem-bench score` as a subprocess per run (OMP_NUM_THREADS = --threads), backends alternating; the
two maps of a (model, batch) are compared under the regeneration rules (pipeline/reproduction.py).
On a shared machine absolute times are noise (eager's thread pool suffers most under load): compare ratios
from one run, and prefer a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from common import machine
from PIL import Image
from tabulate import tabulate

from cem_bench.cem.backends import serve
from cem_bench.core.device import auto_batch_size
from cem_bench.core.images import to_tensor
from cem_bench.core.tasks import get_task
from cem_bench.models import load_model
from cem_bench.pipeline.reproduction import compare_maps
from cem_bench.pipeline.suites import load_suite

BACKENDS = ("torch", "onnxruntime")
# (model, task options): the global-reach models of issue 14, a baseline CNN and a zoo channel-attention model
MODELS = [("imdn-x4", {"name": "sr", "scale": 4}), ("pan-x4", {"name": "sr", "scale": 4}),
          ("craft-x4", {"name": "sr", "scale": 4}), ("dncnn-color-blind", {"name": "dn", "sigma": 50}),
          ("zoo-sr-rcan-ca", {"name": "sr", "scale": 4})]


def standard_image(side: int) -> np.ndarray:
    """The standard suite's cem_demo_2 (its scikit-image fallback without the shared assets), top-left side x side."""
    return load_suite("full").image("cem_demo_2").chosen().read()[:side, :side].copy()


def task_flags(task: dict[str, Any]) -> list[str]:
    flags = ["--task", task["name"]]
    if "scale" in task:
        flags += ["--scale", str(task["scale"])]
    if "sigma" in task:
        flags += ["--sigma", str(task["sigma"])]
    return flags


def time_forwards(name: str, task_options: dict[str, Any], gt: np.ndarray, batches: list[str],
                  rounds: int) -> list[list[Any]]:
    """One row per batch: per-image ms of each backend, the ratio, prepare seconds, check difference, backend used."""
    task = get_task(**task_options)
    model = load_model(name)
    model.configure(task)
    gt = task.prepare_gt(gt)
    lq = to_tensor(task.degrade(gt, 0).lq)[None]
    rows = []
    for label in batches:
        size = auto_batch_size(gt.shape[0] * gt.shape[1], torch.device("cpu")) if label == "auto" else int(label)
        x = lq.expand(size, *lq.shape[1:]).contiguous()
        notices: list[str] = []
        served = serve("onnxruntime", model, "cpu", config={"task": task.describe()}, notice=notices.append)
        runs: dict[str, list[float]] = {backend: [] for backend in BACKENDS}
        with torch.inference_mode():
            start = time.perf_counter()
            served.model(x)  # export or cache hit, session, check against torch
            prepare = time.perf_counter() - start
            model(x)  # torch warm-up
            for index in range(rounds):
                for backend in BACKENDS if index % 2 == 0 else BACKENDS[::-1]:
                    fn = model if backend == "torch" else served.model
                    start = time.perf_counter()
                    fn(x)
                    runs[backend].append((time.perf_counter() - start) / size)
        ratios = [a / b for a, b in zip(runs["torch"], runs["onnxruntime"], strict=True)]
        shape = served.report()["shapes"]["x".join(map(str, x.shape))]
        rows.append([name, f"{lq.shape[-1]}x{lq.shape[-2]}", f"{label} ({size})",
                     f"{1e3 * statistics.median(runs['torch']):.1f}", f"{1e3 * statistics.median(runs['onnxruntime']):.1f}",
                     f"{statistics.median(ratios):.2f}", f"{min(ratios):.2f}-{max(ratios):.2f}", f"{prepare:.1f}",
                     shape["max_abs_diff"], shape["backend"]])
        print(tabulate([rows[-1]], tablefmt="plain"), flush=True)
        for line in notices:
            print(f"    notice: {line}", flush=True)
    return rows


def score_once(name: str, task_options: dict[str, Any], image: Path, roi: str, protocol: list[str], batch: str,
               backend: str, out: Path, threads: int) -> tuple[float, dict[str, Any]]:
    command = [sys.executable, "-m", "cem_bench.cli", "score", "--model", name, *task_flags(task_options),
               "--image", str(image), "--roi", roi, *protocol, "--device", "cpu", "--quiet", "--out", str(out),
               "--backend", backend, *([] if batch == "auto" else ["--batch-size", batch])]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": str(threads)})
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{name} {backend}: {done.stderr.strip().splitlines()[-1]}")
    return wall, json.loads((out / "result.json").read_text())


def time_scores(name: str, task_options: dict[str, Any], image: Path, roi: str, protocol: list[str],
                batches: list[str], repeats: int, threads: int, folder: Path) -> list[list[Any]]:
    """One row per batch: fastest wall of each backend over ``repeats`` alternating runs, and map agreement."""
    rows = []
    for batch in batches:
        walls: dict[str, list[float]] = {backend: [] for backend in BACKENDS}
        records: dict[str, dict[str, Any]] = {}
        for index in range(repeats):
            for backend in BACKENDS if index % 2 == 0 else BACKENDS[::-1]:
                wall, records[backend] = score_once(name, task_options, image, roi, protocol, batch, backend,
                                                    folder / f"{name}-{batch}-{backend}-{index}", threads)
                walls[backend].append(wall)
        reference, served = records["torch"], records["onnxruntime"]
        problems, flips = compare_maps(reference, served, name)
        used = served["environment"]["backend"]
        exports = sum(shape["cache"] == "miss" for shape in used["shapes"].values())
        rows.append([name, batch, f"{min(walls['torch']):.1f}", f"{min(walls['onnxruntime']):.1f}",
                     f"{min(walls['torch']) / min(walls['onnxruntime']):.2f}", reference["forwards"], used["used"],
                     f"{exports}/{len(used['shapes'])}", f"{abs(served['psnr_roi'] - reference['psnr_roi']):.1e}",
                     "yes" if not problems else f"no ({len(problems)})", flips])
        print(tabulate([rows[-1]], tablefmt="plain"), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(name for name, _ in MODELS), help="comma-separated subset")
    parser.add_argument("--batches", default="1,auto", help="per-forward batches: numbers and/or auto")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds per forward timing")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch and onnxruntime threads")
    parser.add_argument("--side", type=int, default=256, help="ground-truth side (the standard suite's 256)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="$CEM_BENCH_CACHE for the whole run, score subprocesses included (graphs in CACHE/onnx)")
    parser.add_argument("--score", action="store_true", help="also time whole `cem-bench score` runs (long)")
    parser.add_argument("--roi", default="96,152,32", help="score: ROI (the standard suite's)")
    parser.add_argument("--coarse", default="3", help="score: coarse interventions (standard 3)")
    parser.add_argument("--fine", default="10", help="score: fine interventions (standard 50; 10 as in registry_timings)")
    parser.add_argument("--repeats", type=int, default=1, help="score: alternating runs per backend (fastest kept)")
    parser.add_argument("--quick", action="store_true", help="smoke test: zoo-sr-rcan-ca, 32x32, 2 rounds, a tiny score")
    args = parser.parse_args()
    if args.quick:
        args.models, args.side, args.rounds, args.score = "zoo-sr-rcan-ca", 32, 2, True
        args.roi, args.coarse, args.fine = "8,8,16", "1", "1"
    torch.set_num_threads(args.threads)
    if args.cache is not None:
        os.environ["CEM_BENCH_CACHE"] = str(args.cache)
    chosen = dict(MODELS)
    names = args.models.split(",")
    unknown = [name for name in names if name not in chosen]
    if unknown:
        raise SystemExit(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(chosen)}")
    batches = args.batches.split(",")
    gt = standard_image(args.side)
    load = os.getloadavg()[0]
    print(f"{machine(torch.device('cpu'))}, torch {torch.__version__}; load average {load:.2f} on {os.cpu_count()} cores")
    forwards = [row for name in names for row in time_forwards(name, chosen[name], gt, batches, args.rounds)]
    print(f"\nper-image forward, ms (median of {args.rounds} alternating rounds; load average now {os.getloadavg()[0]:.2f})")
    print(tabulate(forwards, headers=["model", "input", "batch", "torch", "onnxruntime", "ratio", "range", "prepare s",
                                      "check diff", "served by"], tablefmt="github"))
    if not args.score:
        return
    with tempfile.TemporaryDirectory(prefix="cem-backends-") as folder:
        image = Path(folder) / "gt.png"
        Image.fromarray(gt).save(image)
        protocol = ["--coarse", args.coarse, "--fine", args.fine]
        scores = [row for name in names for row in time_scores(name, chosen[name], image, args.roi, protocol, batches,
                                                               args.repeats, args.threads, Path(folder))]
    print(f"\nwhole `cem-bench score`, wall s (fastest of {args.repeats}; ROI {args.roi}, coarse {args.coarse}, "
          f"fine {args.fine}; load average now {os.getloadavg()[0]:.2f})")
    print(tabulate(scores, headers=["model", "batch", "torch", "onnxruntime", "ratio", "forwards", "served by",
                                    "exports", "ROI PSNR gap", "maps agree", "flips"], tablefmt="github"))


if __name__ == "__main__":
    main()
