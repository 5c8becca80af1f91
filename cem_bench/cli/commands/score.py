"""`cem-bench score`: one causal effect map -> DIR/result.json + DIR/cem.png."""

from __future__ import annotations

import argparse
from pathlib import Path

from cem_bench.cli.options import (
    acceleration_from,
    add_acceleration_options,
    add_protocol_options,
    add_runtime_options,
    protocol_from,
)
from cem_bench.core.geometry import ROI
from cem_bench.core.tasks import TASKS, get_task
from cem_bench.pipeline.scoring import score

CHECKPOINT = ".cem-partial.json"  # finished samples of an interrupted run, in the output folder


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("score", help="compute the causal effect map of one model on one image and ROI")
    parser.add_argument("--model", required=True, help="registered model name or path to a card .yaml")
    parser.add_argument("--weights", default=None, help="checkpoint file (overrides the card's search path)")
    parser.add_argument("--task", required=True, choices=sorted(TASKS))
    parser.add_argument("--scale", type=int, default=None, help="sr: 2, 3 or 4 (default 4)")
    parser.add_argument("--sigma", type=float, default=None, help="dn: noise level on the 0-255 scale (default 50)")
    parser.add_argument("--image", required=True, help="ground-truth image (file or skimage:NAME)")
    parser.add_argument("--lq", default=None, help="your own degraded input for --image (else synthesised)")
    parser.add_argument("--roi", required=True, help="X,Y[,SIZE] in output pixels (SIZE default 32)")
    parser.add_argument("--out", required=True, help="output folder for result.json and cem.png")
    add_protocol_options(parser)
    add_runtime_options(parser, backend=True)
    add_acceleration_options(parser)
    parser.set_defaults(func=run)


def summary(record: dict) -> str:
    counts, spread = record["counts"], record["effect_range"]
    return (f"{record['model']['name']} on {record['task']['name']}: ROI PSNR {record['psnr_roi']:.2f} dB, "
            f"blocks +{counts['positive']} / -{counts['negative']} / 0:{counts['zero']}, "
            f"effect range {spread['range']:.3f} dB, {record['forwards']} forwards in {record['seconds']:.1f} s")


def run(args: argparse.Namespace) -> int:
    task = get_task(args.task, scale=args.scale, sigma=args.sigma)
    checkpoint = Path(args.out) / CHECKPOINT
    scored = score(model=args.model, task=task, image=args.image, roi=ROI.parse(args.roi), lq=args.lq,
                   protocol=protocol_from(args), device=args.device, batch_size=args.batch_size,
                   weights=args.weights, progress=not args.quiet, acceleration=acceleration_from(args),
                   checkpoint=checkpoint, backend=args.backend)
    path = scored.write(args.out)
    checkpoint.unlink(missing_ok=True)
    if scored.result.resumed_samples:
        print(f"resumed: {scored.result.resumed_samples} samples came from an interrupted run")
    print(summary(scored.record))
    print(f"wrote {path} and {path.parent / 'cem.png'}")
    return 0
