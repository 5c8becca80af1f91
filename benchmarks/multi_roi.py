"""What several ROIs of one image cost when they share forwards: R = 1, 4 and 9 ROIs of the standard lattice.

    python benchmarks/multi_roi.py --out runs/multi_roi.json                       # the standard protocol
    python benchmarks/multi_roi.py --fine 2 --coarse 1 --size 64 --out /tmp/m.json  # a smoke run
    python benchmarks/multi_roi.py --from-units results --models rlfn-ntire-x4 --out /tmp/u.json  # counted

For each model (default imdn-x4, global reach through its contrast channel attention, and
dncnn-color-blind, local with a 35-px receptive field), on its first standard-suite task and one
standard-suite image (default urban-024, 256x256), ``score`` runs with R = 1 ROI, then with R = 4 and
R = 9 ROIs, each both with ``sharing="shared"`` (one set of forwards serves every ROI) and
``sharing="separate"`` (one cropped run per ROI). ROIs come from the standard lattice: x, y in
{32, 112, 192}, size 32. R = 1 is the top-left ROI (32,32); R = 4 the four corners (32,32), (192,32),
(32,192), (192,192): the ROIs farthest apart, so a local model's shared window is the largest;
R = 9 the whole lattice. ``--size S`` takes the centre SxS crop and scales the lattice by S/256
(not the standard geometry: for quick checks only).

Reported per run: forwards (the unmodified input plus every intervention forward; the gradient screen's
passes and the crop checks are not counted but are in the wall time), wall seconds of the ``score``
call (model loaded once before), of which ``plan_s`` went to the ROIs' gradient screens and crop checks
(one of each per ROI, whatever the sharing), forwards and seconds per ROI, and both as ratios to R = 1.
``auto`` is what ``sharing="auto"`` picks for these ROIs: ``cem.sharing.group_rois`` applied to the
ROI plans of the two runs, with no third run (``--check-auto`` also runs ``auto`` and checks the pick).

The script fails unless every ROI's map from the shared run equals (``np.array_equal``) its map from
the separate run, and the R = 1 map equals the R = 4 and R = 9 maps of its ROI in both: a benchmark
of shared forwards that gives other maps measures something else. It also fails unless every run's
forwards equal ``counted_forwards`` of its maps (below).

``--from-units RESULTS`` runs nothing: it counts the same forwards at the standard protocol from the
committed unit records of the standard suite (``RESULTS/standard/.units``), for every image of each model
with all 9 ROIs done. Because a ROI's map is the same whichever ROIs ran beside it, its sample counts
(``n_samples``) fix what any plan of R ROIs runs: separately, the sum of the ROIs' own forwards; shared,
the unmodified input, ``coarse`` draws of every block some ROI samples and ``fine`` more of every block
some ROI samples finely. Forwards only, not seconds: for a global-reach model every forward is a
whole-image one, so seconds follow forwards; for a local model the separate runs' forwards are on small
crops (the unit's ``window``) and the count says nothing about the wall.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from common import machine
from tabulate import tabulate

from cem_bench import score
from cem_bench.cem.acceleration import Plan
from cem_bench.cem.estimator import CEMResult, CEMRun
from cem_bench.cem.interventions import InputWindow
from cem_bench.cem.protocol import Protocol
from cem_bench.cem.sharing import RoiPlan, counted_forwards, group_rois
from cem_bench.core.device import resolve_device
from cem_bench.core.errors import CemBenchError
from cem_bench.core.geometry import ROI
from cem_bench.core.tasks import Task
from cem_bench.models import get_card, load_model
from cem_bench.models.task_fit import fits
from cem_bench.pipeline.suites import Suite, load_suite

STANDARD_SIDE = 256
LATTICE = (32, 112, 192)  # x and y of the standard suite's ROIs (size 32), row by row
SUBSETS = {1: (0,), 4: (0, 2, 6, 8), 9: tuple(range(9))}  # indices into the row-major lattice


def lattice(side: int = STANDARD_SIDE) -> list[ROI]:
    """The standard 3x3 lattice scaled to a ``side``-pixel square image, row-major (y, then x)."""
    if side % 16 or not 64 <= side <= STANDARD_SIDE:
        raise CemBenchError(f"--size must be a multiple of 16 in [64, {STANDARD_SIDE}], got {side}")
    scale = side / STANDARD_SIDE
    return [ROI(int(x * scale), int(y * scale), int(32 * scale)) for y in LATTICE for x in LATTICE]


def subset(count: int, side: int = STANDARD_SIDE) -> list[ROI]:
    """The documented R-ROI subset of the lattice (module docstring)."""
    return [lattice(side)[index] for index in SUBSETS[count]]


def standard_task(suite: Suite, model: str) -> Task:
    """The first task of the suite that the model is scored on (e.g. sr-x4 for imdn-x4, dn-s50 for DnCNN)."""
    card = get_card(model)
    for spec in suite.tasks:
        if fits(card, spec.build()):
            return spec.build()
    raise CemBenchError(f"model {model} fits none of the {suite.name} suite's tasks")


def centre_crop(image: np.ndarray, side: int) -> np.ndarray:
    height, width = image.shape[:2]
    y0, x0 = (height - side) // 2, (width - side) // 2
    return np.ascontiguousarray(image[y0 : y0 + side, x0 : x0 + side])


def _window(described: dict[str, Any]) -> InputWindow | None:
    window = described["window"]
    return None if window is None else InputWindow(**window)


def auto_pick(separate: CEMRun, shared: CEMRun, in_size: tuple[int, int]) -> list[list[int]]:
    """The groups ``sharing="auto"`` forms, from the plans the two runs used: each ROI's candidates are the
    blocks its separate map sampled (n_samples > 0), its window the one its separate run used; the shared
    window the shared run's. ``group_rois`` itself decides, so the rule is the library's, not a copy."""
    plans = [RoiPlan(m.roi, m.roi_mask, Plan(m.n_samples > 0, _window(m.acceleration), [])) for m in separate.maps]
    window = _window(shared.maps[0].acceleration)
    return [group.members for group in group_rois(plans, "auto", in_size, lambda: (window, []))]


def same_map(first: CEMResult, second: CEMResult) -> bool:
    return (first.roi == second.roi and first.psnr_roi == second.psnr_roi
            and np.array_equal(first.ce, second.ce, equal_nan=True)  # ROI blocks are NaN in both
            and np.array_equal(first.n_samples, second.n_samples))


def check_counted(name: str, count: int, sharing: str, run: CEMRun, protocol: Protocol) -> None:
    """Fail unless ``counted_forwards`` gives what the run made: the rule --from-units relies on."""
    counts = [m.n_samples for m in run.maps]
    expected = (counted_forwards(counts, protocol.coarse, protocol.fine) if sharing != "separate"
                else 1 - count + sum(counted_forwards([n], protocol.coarse, protocol.fine) for n in counts))
    if run.forwards != expected:
        raise SystemExit(f"{name}, R={count} {sharing}: ran {run.forwards} forwards, counted {expected}")


def timed(model: Any, task: Task, image: np.ndarray, rois: list[ROI], protocol: Protocol, sharing: str,
          args: argparse.Namespace) -> tuple[CEMRun, float]:
    start = time.perf_counter()
    scored = score(model, task, image, rois, protocol=protocol, device=args.device, batch_size=args.batch_size,
                   progress=False, sharing=sharing)
    return scored.run, time.perf_counter() - start


def row(model: str, task: Task, count: int, sharing: str, run: CEMRun, wall: float,
        base: dict[str, Any] | None) -> dict[str, Any]:
    entry = {"model": model, "task": task.label, "rois": count, "sharing": sharing, "groups": run.groups, "forwards": run.forwards,
             "wall_s": round(wall, 3), "cem_s": round(run.seconds, 3),
             "plan_s": round(run.maps[0].timings["plan"], 3), "forwards_per_roi": run.forwards / count,
             "s_per_roi": round(wall / count, 3)}
    base = base or entry
    entry["forwards_vs_r1"] = round(run.forwards / base["forwards"], 3)
    entry["wall_vs_r1"] = round(wall / base["wall_s"], 3)
    return entry


def bench_model(name: str, suite: Suite, image: np.ndarray, side: int, protocol: Protocol,
                args: argparse.Namespace) -> list[dict[str, Any]]:
    task = standard_task(suite, name)
    model = load_model(name, device=resolve_device(args.device))
    in_size = (side // task.scale, side // task.scale)
    single, wall = timed(model, task, image, subset(1, side), protocol, "shared", args)
    check_counted(name, 1, "shared", single, protocol)
    rows = [row(name, task, 1, "-", single, wall, None)]
    print(tabulate([list(rows[0].values())], tablefmt="plain"), flush=True)
    for count in (4, 9):
        rois = subset(count, side)
        runs = {}
        for sharing in ("shared", "separate"):
            runs[sharing], wall = timed(model, task, image, rois, protocol, sharing, args)
            check_counted(name, count, sharing, runs[sharing], protocol)
            rows.append(row(name, task, count, sharing, runs[sharing], wall, rows[0]))
            print(tabulate([list(rows[-1].values())], tablefmt="plain"), flush=True)
        for index, (shared, separate) in enumerate(zip(runs["shared"].maps, runs["separate"].maps)):
            if not same_map(shared, separate):
                raise SystemExit(f"{name}, R={count}: ROI {rois[index]} has another map when forwards are shared")
        for run in runs.values():
            if not same_map(single.maps[0], run.maps[0]):
                raise SystemExit(f"{name}, R={count}: ROI {rois[0]} has another map than its R=1 run")
        pick = auto_pick(runs["separate"], runs["shared"], in_size)
        chosen = "shared" if len(pick) == 1 else "separate"
        if args.check_auto:
            auto, wall = timed(model, task, image, rois, protocol, "auto", args)
            if auto.groups != pick or not all(map(same_map, auto.maps, runs[chosen].maps)):
                raise SystemExit(f"{name}, R={count}: auto ran groups {auto.groups}, predicted {pick}")
            rows.append(row(name, task, count, "auto", auto, wall, rows[0]))
        for entry in rows[-3:]:
            if entry["rois"] == count:
                entry["auto_picks"] = chosen
    return rows


def from_units(results: Path, name: str, protocol: Protocol) -> list[dict[str, Any]]:
    """Forwards of R = 1, 4 and 9 ROIs, separate and shared, counted from committed standard unit records."""
    per_image: dict[str, dict[tuple[int, int], dict[str, Any]]] = {}
    for path in sorted((results / "standard" / ".units").glob(f"{name}.*.json")):
        unit = json.loads(path.read_text())
        if unit["model"]["name"] != name or unit["protocol"]["id"] != protocol.id:
            continue
        roi = unit["roi"]
        per_image.setdefault(unit["image"]["id"], {})[(roi["x"], roi["y"])] = unit
    order = [(roi.x, roi.y) for roi in lattice()]
    rows = []
    for image, units in per_image.items():
        if set(units) != set(order):
            continue  # an image with some ROIs still pending
        counts = [np.asarray(units[key]["n_samples"]) for key in order]
        for key, n in zip(order, counts):  # the rule must give each unit's own recorded forwards
            if counted_forwards([n], protocol.coarse, protocol.fine) != units[key]["forwards"]:
                raise SystemExit(f"{name} {image} ROI {key}: recorded forwards disagree with its sample counts")
        first = units[order[0]]
        single = counted_forwards(counts[:1], protocol.coarse, protocol.fine)  # R = 1: the first ROI alone
        for count, indices in SUBSETS.items():
            chosen = [counts[index] for index in indices]
            separate = 1 - count + sum(units[order[index]]["forwards"] for index in indices)
            shared = counted_forwards(chosen, protocol.coarse, protocol.fine)
            rows.append({"model": name, "task": first["task"]["label"], "image": image, "rois": count,
                         "separate": separate, "shared": shared, "shared_per_roi": round(shared / count),
                         "shared_vs_separate": round(shared / separate, 3),
                         "shared_per_roi_vs_r1": round(shared / count / single, 3),
                         **ran(first, [units[key] for key in order])})
    return rows


def ran(first: dict[str, Any], units: list[dict[str, Any]]) -> dict[str, Any]:
    """How the runner computed the image's 9 ROIs and in how many seconds (where a unit says so)."""
    acceleration = first.get("acceleration")
    if acceleration is None:
        return {"ran": "unrecorded", "job_s": None}
    if acceleration["window"] is None:  # one shared whole-image run: every unit holds the job's seconds
        return {"ran": "shared, whole image", "job_s": round(first["seconds"])}
    return {"ran": "own crops", "job_s": round(sum(unit["seconds"] for unit in units))}


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per model and R: forwards summed over its images, and the ratios of the sums."""
    table = []
    for name in dict.fromkeys(row["model"] for row in rows):
        mine = [row for row in rows if row["model"] == name]
        base = sum(row["shared"] for row in mine if row["rois"] == 1)
        for count in SUBSETS:
            picked = [row for row in mine if row["rois"] == count]
            separate, shared = sum(r["separate"] for r in picked), sum(r["shared"] for r in picked)
            table.append({"model": name, "task": picked[0]["task"], "images": len(picked), "rois": count,
                          "separate": separate, "shared": shared, "shared/separate": round(shared / separate, 3),
                          "shared per ROI / R=1": round(shared / count / base, 3),
                          "ran": picked[0]["ran"]})
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="imdn-x4,dncnn-color-blind", help="comma-separated registered models")
    parser.add_argument("--image", default="urban-024", help="an image id of the standard suite")
    parser.add_argument("--size", type=int, default=STANDARD_SIDE, help="centre crop side; the lattice scales with it")
    parser.add_argument("--fine", type=int, default=None, help="override the standard protocol's fine samples (50)")
    parser.add_argument("--coarse", type=int, default=None, help="override the standard protocol's coarse samples (3)")
    parser.add_argument("--bank", default=None, help="patch bank (default: the standard protocol's div2k-8)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--check-auto", action="store_true", help="also run sharing=auto and check its pick")
    parser.add_argument("--from-units", type=Path, default=None, metavar="RESULTS",
                        help="count the forwards from committed standard unit records instead of running")
    parser.add_argument("--out", type=Path, required=True, help="JSON file for the results")
    args = parser.parse_args()
    suite = load_suite("standard")
    if args.from_units is not None:
        rows = [row for name in args.models.split(",") for row in from_units(args.from_units, name, suite.protocol)]
        print(f"protocol {suite.protocol.id}; forwards counted from the units under {args.from_units}, summed "
              "over each model's images with all 9 ROIs done")
        print(tabulate(summarise(rows), headers="keys", tablefmt="github"))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"protocol": suite.protocol.id, "counted_from": str(args.from_units),
                                        "runs": rows}, indent=1))
        return
    overrides = {key: value for key, value in (("fine", args.fine), ("coarse", args.coarse), ("bank", args.bank))
                 if value is not None}
    try:
        protocol = dataclasses.replace(suite.protocol, **overrides)
        lattice(args.size)
        image = centre_crop(suite.image(args.image).chosen().read(), args.size)
    except CemBenchError as error:
        raise SystemExit(f"error: {error}") from None
    standard = "standard protocol" if protocol == suite.protocol else "NOT the standard protocol"
    device = resolve_device(args.device)
    header = (f"protocol {protocol.id} ({standard}); image {args.image}, centre {args.size}x{args.size}; "
              f"device {machine(device)}, torch {torch.__version__}")
    print(header, flush=True)
    rows = []
    for name in args.models.split(","):
        rows += bench_model(name, suite, image, args.size, protocol, args)
    columns = ["model", "task", "rois", "sharing", "auto_picks", "groups", "forwards", "wall_s", "plan_s",
               "forwards_per_roi", "s_per_roi", "forwards_vs_r1", "wall_vs_r1"]
    print(header)
    print(tabulate([[entry.get(column, "") for column in columns] for entry in rows], headers=columns,
                   tablefmt="github", floatfmt=".1f"))
    print("maps: every shared-run ROI map equals its separate-run map and its R=1 map (np.array_equal)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"protocol": protocol.id, "standard_protocol": protocol == suite.protocol,
                                    "image": args.image, "size": args.size, "machine": machine(device),
                                    "torch": torch.__version__, "maps_equal": True, "runs": rows}, indent=1))


if __name__ == "__main__":
    main()
