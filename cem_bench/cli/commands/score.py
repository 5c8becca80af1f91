"""`cem-bench score`: causal effect map(s) of one image -> DIR/result.json + DIR/cem.png (one ROI) or
DIR/cem-X-Y-SIZE.png per ROI (several ``--roi``).

Before the first forward the plan goes to stderr (blocks, forwards at most), then one timed forward's
time and memory estimate, then what the gradient screen left to sample (:mod:`cem_bench.pipeline.cost`).
A run sure to take over an hour or over half the device's memory is refused without ``--yes``, as soon
as that is known and before any intervention. ``--quiet`` hides the plan, never the refusal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from cem_bench.cem.sharing import SHARINGS
from cem_bench.cli.options import (
    acceleration_from,
    add_acceleration_options,
    add_cards_option,
    add_protocol_options,
    add_runtime_options,
    protocol_from,
)
from cem_bench.core.errors import CemBenchError
from cem_bench.core.files import output_folder
from cem_bench.core.geometry import ROI
from cem_bench.core.tasks import TASKS, get_task
from cem_bench.pipeline.cost import MAX_SECONDS, MEMORY_FRACTION, RunCost, format_seconds
from cem_bench.pipeline.scoring import heatmap_names, score
from cem_bench.records.io import RESULT_FILE

CHECKPOINT = ".cem-partial.json"  # finished samples of an interrupted run, in the output folder


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("score", help="compute the causal effect map of one model on one image and ROI")
    parser.add_argument("--model", required=True, help="registered model name or path to a card .yaml")
    parser.add_argument("--weights", default=None, help="checkpoint file (overrides the card's search path)")
    add_cards_option(parser)
    parser.add_argument("--task", required=True, choices=sorted(TASKS))
    parser.add_argument("--scale", type=int, default=None, help="sr: 2, 3 or 4 (default 4)")
    parser.add_argument("--sigma", type=float, default=None, help="dn: noise level on the 0-255 scale (default 50)")
    parser.add_argument("--image", required=True, help="ground-truth image (file or skimage:NAME)")
    parser.add_argument("--lq", default=None, help="your own degraded input for --image (else synthesised)")
    parser.add_argument("--roi", required=True, action="append",
                        help="X,Y[,SIZE] in output pixels (SIZE default 32); repeat for several ROIs of the image")
    parser.add_argument("--sharing", choices=SHARINGS, default="auto",
                        help="several ROIs: share intervention forwards (shared), run each ROI alone (separate), "
                             "or the cheaper of the two (auto, default); the maps are the same")
    parser.add_argument("--out", required=True, help="output folder for result.json and cem.png")
    parser.add_argument("--yes", action="store_true",
                        help=f"run even when the plan says it may take over {format_seconds(MAX_SECONDS)} or over "
                             f"{MEMORY_FRACTION * 100:.0f}%% of the device's memory (the plan is printed to stderr first)")
    add_protocol_options(parser)
    add_runtime_options(parser, backend=True)
    add_acceleration_options(parser)
    parser.set_defaults(func=run)


def summary(record: dict) -> str:
    """One line per map, then (several ROIs) the shared cost."""
    maps = record.get("maps", [record])
    lines = []
    for entry in maps:
        counts, spread, roi = entry["counts"], entry["effect_range"], entry["roi"]
        gain = (f" (input {entry['psnr_input']:.2f} dB, gain {entry['psnr_gain']:+.2f} dB)"
                if "psnr_gain" in entry else "")  # results written before the gain was stored have none
        lines.append(f"{record['model']['name']} on {record['task']['name']}, ROI {roi['x']},{roi['y']},{roi['size']}: "
                     f"ROI PSNR {entry['psnr_roi']:.2f} dB{gain}, blocks +{counts['positive']} / -{counts['negative']} / "
                     f"0:{counts['zero']}, effect range {spread['range']:.3f} dB"
                     + ("" if len(maps) > 1 else f", {record['forwards']} forwards in {record['seconds']:.1f} s"))
    if len(maps) > 1:
        alone = sum(entry["forwards"] for entry in maps)
        lines.append(f"{len(maps)} ROIs: {record['forwards']} forwards in {record['seconds']:.1f} s "
                     f"({alone} if each ROI ran alone)")
    return "\n".join(lines)


def gate(quiet: bool, confirmed: bool) -> Callable[[RunCost], None]:
    """The ``on_cost`` of :func:`score`: print the plan to stderr (unless ``--quiet``) and refuse a large
    run (:meth:`RunCost.problems`: sure time or memory above the limits) unless ``--yes`` was given.
    The gate is passed at each step, so a run stops as soon as it is known to be large."""

    def check(cost: RunCost) -> None:
        if not quiet:  # each step's lines as they come: counts, timed estimate, after the screen
            for line in cost.describe():
                print(f"cem-bench: plan: {line}", file=sys.stderr, flush=True)
        problems = cost.problems()
        if problems and not confirmed:
            knobs = " and ".join([*(["--fine"] if cost.too_long else []), *(["--batch-size"] if cost.too_big else [])])
            raise CemBenchError(f"this run {' and '.join(problems)}; pass --yes to run it anyway "
                                f"(or lower {knobs}, or crop the image)")

    return check


def run(args: argparse.Namespace) -> int:
    task = get_task(args.task, scale=args.scale, sigma=args.sigma)
    protocol, acceleration = protocol_from(args), acceleration_from(args)
    rois = [ROI.parse(text) for text in args.roi]
    written = (RESULT_FILE, CHECKPOINT, *heatmap_names(rois))
    # checked (and created) before any work; removed again if it fails
    with output_folder(args.out, files=written) as out:
        checkpoint = out / CHECKPOINT
        scored = score(model=args.model, task=task, image=args.image, roi=rois, lq=args.lq, protocol=protocol,
                       device=args.device, batch_size=args.batch_size, weights=args.weights, progress=not args.quiet,
                       acceleration=acceleration, checkpoint=checkpoint, on_cost=gate(args.quiet, args.yes),
                       sharing=args.sharing, backend=args.backend)
        path = scored.write(out)
    checkpoint.unlink(missing_ok=True)
    resumed = scored.record["environment"].get("resumed_samples", 0)
    if resumed:
        print(f"resumed: {resumed} samples came from an interrupted run")
    print(summary(scored.record))
    print(f"wrote {path} and {', '.join(str(path.parent / name) for name in scored.heatmap_names())}")
    return 0
