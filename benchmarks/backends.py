"""Torch eager vs the onnxruntime backend (and cheap exact tricks), alternating in one run: per-image forward
time and whole `cem-bench score` wall, at the standard suite's image size (cem-demo-2, 256x256, ROI 96,152,32).

    python backends.py                          # forwards: 5 models x (batch 1, automatic batch)
    python backends.py --score --fine 10        # also whole `cem-bench score` runs (hours on a CPU for craft-x4)
    python backends.py --quick                  # smoke: zoo-sr-rcan-ca, a 32x32 image, 2 rounds, a tiny score
    python backends.py --models imdn-x4,craft-x4 --batches 1 --variants tricks --rounds 21   # the tricks

Forwards: one process; each round times one forward per variant, the order rotating between rounds (each
variant in each position as often); per-image ms as median and quartiles over rounds, and the per-round
speed-up torch eager / variant (median, quartiles, range). The input is the task's own degraded cem-demo-2
(SR x4: 64x64), repeated to the batch; "auto" is torch's automatic batch for the whole image.
"prepare" is onnxruntime's export (or cache hit), session and check against torch (or a torch variant's
trace and first runs); "check diff" the largest |variant - torch eager| on that batch.
Variants (``--variants``, torch first): ``torch`` (eager, the reference), ``torch-cl`` (channels_last module
and input), ``torch-freeze`` (``torch.jit.freeze`` of a trace: folded constants, oneDNN fusions),
``torch-ofi`` (``torch.jit.optimize_for_inference``), ``torch-1t`` (eager on one thread), ``onnxruntime``
(the backend as shipped) and ``ort-*`` (the backend with one session option changed from ``SESSION_OPTIONS``:
see ``ORT_VARIANTS``); ``--variants tricks`` is the set measured in docs/performance.md. ``--against`` adds each
variant's per-round speed-up over a second reference (the shipped onnxruntime session), ``--pause`` sleeps
before every timed forward so that a spinning thread pool of the previous variant does not bill the next,
``--json`` keeps every timing.
Scores: `cem-bench score` as a subprocess per run (OMP_NUM_THREADS = --threads), backends alternating; the
two maps of a (model, batch) are compared under the regeneration rules (pipeline/reproduction.py).
On a shared machine absolute times are noise (eager's thread pool suffers most under load): compare ratios
from one run, report the load, and prefer a quiet machine.
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
import warnings
from collections.abc import Callable
from copy import deepcopy
from pathlib import Path
from typing import Any

import numpy as np
import torch
from common import machine
from PIL import Image
from tabulate import tabulate

from cem_bench.cem.backends import _export
from cem_bench.cem.backends.onnxruntime import OnnxRuntimeModel
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
    """The standard suite's cem-demo-2 (needs the shared assets), top-left side x side."""
    return load_suite("standard").image("cem-demo-2").chosen().read()[:side, :side].copy()


def task_flags(task: dict[str, Any]) -> list[str]:
    flags = ["--task", task["name"]]
    if "scale" in task:
        flags += ["--scale", str(task["scale"])]
    if "sigma" in task:
        flags += ["--sigma", str(task["sigma"])]
    return flags


# --variants: what runs a forward. Torch ones wrap a copy of the loaded module; onnxruntime ones are the backend
# with some session options changed (SESSION_OPTIONS otherwise), each checked against torch on its first batch.
TORCH_VARIANTS = ("torch", "torch-cl", "torch-freeze", "torch-ofi", "torch-1t")
ORT_VARIANTS: dict[str, dict[str, Any]] = {
    "onnxruntime": {}, "ort-intra0": {"intra_op_num_threads": 0}, "ort-intra1": {"intra_op_num_threads": 1},
    "ort-inter0": {"inter_op_num_threads": 0},
    "ort-spin": {"allow_spinning": True}, "ort-noarena": {"enable_cpu_mem_arena": False},
    "ort-extended": {"graph_optimization_level": "extended"}, "ort-basic": {"graph_optimization_level": "basic"},
    "ort-parallel": {"execution_mode": "parallel", "inter_op_num_threads": 2},
}
TRICKS = ("torch,torch-cl,torch-freeze,torch-1t,onnxruntime,ort-intra0,ort-intra1,ort-inter0,ort-spin,ort-noarena,"
          "ort-extended,ort-parallel")


def torch_variant(name: str, model: torch.nn.Module, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
    """torch eager, channels_last (module and input), or a trace of the module frozen (``torch.jit.freeze``:
    constants folded, conv+bn and oneDNN fusions) or optimised for inference (freeze + oneDNN layouts)."""
    if name == "torch":
        return model
    if name == "torch-1t":  # one intra-op thread for this call only (a loaded machine's cores are not free)
        def single(batch: torch.Tensor) -> torch.Tensor:
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                return model(batch)
            finally:
                torch.set_num_threads(threads)

        return single
    copy = deepcopy(model).eval()
    if name == "torch-cl":
        copy = copy.to(memory_format=torch.channels_last)
        return lambda batch: copy(batch.contiguous(memory_format=torch.channels_last))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's shape warnings; the output check below is what counts
        traced = torch.jit.trace(copy, x, check_trace=False)
        return torch.jit.freeze(traced.eval()) if name == "torch-freeze" else torch.jit.optimize_for_inference(traced)


def prepare_variant(variant: str, model: torch.nn.Module, x: torch.Tensor, task: Any, notices: list[str],
                    fns: dict[str, Callable[[torch.Tensor], torch.Tensor]], served: dict[str, Any]) -> torch.Tensor:
    """Build ``variant`` into ``fns`` (and ``served`` for onnxruntime ones) and return its first output."""
    if variant in ORT_VARIANTS:  # export or cache hit, session, check against torch
        served[variant] = OnnxRuntimeModel(model, config={"task": task.describe()}, notice=notices.append,
                                           session_options=ORT_VARIANTS[variant])
        fns[variant] = served[variant]
        return fns[variant](x)
    fns[variant] = torch_variant(variant, model, x)
    output = fns[variant](x)
    fns[variant](x)  # a frozen graph optimises itself on its first runs
    return output


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(25th percentile, median, 75th percentile); one value is all three (a single round)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    low, mid, high = statistics.quantiles(values, n=4, method="inclusive")
    return low, mid, high


def time_forwards(name: str, task_options: dict[str, Any], gt: np.ndarray, batches: list[str], rounds: int,
                  variants: list[str], pause: float = 0.0, against: str = "onnxruntime",
                  raw: dict[str, Any] | None = None) -> list[list[Any]]:
    """One row per (batch, variant): per-image ms (median and quartiles), per-round speed-up over torch eager
    (median, quartiles and range) and over ``against`` (median and quartiles), prepare seconds, the check's
    largest difference from torch and what served it. ``raw`` receives every timing."""
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
        fns: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {}
        served: dict[str, Any] = {}
        prepare: dict[str, float] = {}
        diffs: dict[str, Any] = {}
        with torch.inference_mode():
            reference = model(x)  # torch warm-up and the reference output
            for variant in list(variants):
                start = time.perf_counter()
                try:
                    output = prepare_variant(variant, model, x, task, notices, fns, served)
                except Exception as error:  # noqa: BLE001 - a trick that cannot run here is reported, not fatal
                    notices.append(f"{variant} left out: {type(error).__name__}: {_export.first_line(error)}")
                    variants = [other for other in variants if other != variant]
                    continue
                if variant in served:
                    diffs[variant] = served[variant].shapes[tuple(x.shape)].describe()["max_abs_diff"]
                else:
                    diffs[variant] = float(f"{_export.compare(reference.numpy(), output.numpy())[0]:.3g}")
                prepare[variant] = time.perf_counter() - start
            runs: dict[str, list[float]] = {variant: [] for variant in variants}
            loads = []
            for index in range(rounds):
                shift = index % len(variants)  # each variant in each position as often: no order effect
                for variant in variants[shift:] + variants[:shift]:
                    time.sleep(pause)  # lets the previous variant's spinning pool threads go idle
                    start = time.perf_counter()
                    fns[variant](x)
                    runs[variant].append((time.perf_counter() - start) / size)
                loads.append(os.getloadavg()[0])
        if raw is not None:
            raw[f"{name}/{label}"] = {"seconds_per_image": runs, "load": loads, "check_diff": diffs}
        for variant in variants:
            ms = quartiles([1e3 * t for t in runs[variant]])
            ratios = [a / b for a, b in zip(runs["torch"], runs[variant], strict=True)]
            low, mid, high = quartiles(ratios)
            paired = "-"
            if against in runs:
                q = quartiles([a / b for a, b in zip(runs[against], runs[variant], strict=True)])
                paired = f"{q[1]:.2f} ({q[0]:.2f}-{q[2]:.2f})"
            used = served[variant].report()["used"] if variant in served else "torch"
            rows.append([name, f"{lq.shape[-1]}x{lq.shape[-2]}", f"{label} ({size})", variant, f"{ms[1]:.1f}",
                         f"{ms[0]:.1f}-{ms[2]:.1f}", f"{mid:.2f}", f"{low:.2f}-{high:.2f}",
                         f"{min(ratios):.2f}-{max(ratios):.2f}", paired, f"{prepare[variant]:.1f}", diffs[variant],
                         used])
            print(tabulate([rows[-1]], tablefmt="plain"), flush=True)
        print(f"    load average during the rounds: median {statistics.median(loads):.2f}, "
              f"{min(loads):.2f}-{max(loads):.2f}", flush=True)
        for line in notices:
            print(f"    notice: {line}", flush=True)
    return rows


def score_once(name: str, task_options: dict[str, Any], image: Path, roi: str, protocol: list[str], batch: str,
               backend: str, out: Path, threads: int) -> tuple[float, dict[str, Any]]:
    command = [sys.executable, "-m", "cem_bench.cli", "score", "--model", name, *task_flags(task_options),
               "--image", str(image), "--roi", roi, *protocol, "--device", "cpu", "--quiet", "--yes", "--out", str(out),
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
    parser.add_argument("--variants", default="torch,onnxruntime",
                        help=f"forward variants to alternate (torch first); --variants tricks: {TRICKS}")
    parser.add_argument("--pause", type=float, default=0.2,
                        help="seconds of sleep before each timed forward (spinning pool threads of the previous one)")
    parser.add_argument("--against", default="onnxruntime",
                        help="a second reference: per-round speed-up of each variant over this one")
    parser.add_argument("--json", type=Path, default=None, help="write every timing (and the load) to this file")
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
    args.variants = TRICKS if args.variants == "tricks" else args.variants
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
    variants = args.variants.split(",")
    unknown = [variant for variant in variants if variant not in TORCH_VARIANTS and variant not in ORT_VARIANTS]
    if unknown or "torch" not in variants:
        raise SystemExit(f"--variants needs torch and known names ({', '.join((*TORCH_VARIANTS, *ORT_VARIANTS))}), "
                         f"got {args.variants}")
    raw: dict[str, Any] = {"load_before": os.getloadavg()[0], "rounds": args.rounds, "variants": variants}
    forwards = [row for name in names for row in time_forwards(name, chosen[name], gt, batches, args.rounds, variants,
                                                                         args.pause, args.against, raw)]
    if args.json is not None:
        args.json.write_text(json.dumps(raw, indent=1))
    print(f"\nper-image forward, ms: median and quartiles of {args.rounds} rounds, the variants in rotating order; "
          f"speed-up = torch eager / variant, per round (load average now {os.getloadavg()[0]:.2f})")
    print(tabulate(forwards, headers=["model", "input", "batch", "variant", "ms", "ms IQR", "speed-up", "IQR", "range",
                                      f"vs {args.against} (IQR)", "prepare s", "check diff", "served by"],
                   tablefmt="github"))
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
