"""`cem-bench lam`: LAM attribution + Diffusion Index of an SR model -> DIR/result.json + DIR/lam.png."""

from __future__ import annotations

import argparse

from cem_bench.cli.options import add_cards_option, add_runtime_options
from cem_bench.core.files import output_folder
from cem_bench.core.geometry import ROI
from cem_bench.lam import DEFAULT_WINDOW, LAMSettings
from cem_bench.pipeline.attribution import LAM_HEATMAP, compute_lam
from cem_bench.records.io import RESULT_FILE


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lam", help="LAM attribution map and Diffusion Index of an SR model for one window")
    defaults = LAMSettings()
    parser.add_argument("--model", required=True, help="registered SR model name or path to a card .yaml")
    parser.add_argument("--weights", default=None, help="checkpoint file (overrides the card's search path)")
    add_cards_option(parser)
    parser.add_argument("--image", required=True, help="ground-truth image (file or skimage:NAME); input = its bicubic downscale")
    parser.add_argument("--lq", default=None, help="your own low-resolution input for --image (else synthesised)")
    parser.add_argument("--roi", required=True, help=f"window X,Y[,SIZE] in output pixels (SIZE default {DEFAULT_WINDOW})")
    parser.add_argument("--out", required=True, help="output folder for result.json and lam.png")
    group = parser.add_argument_group("LAM")
    group.add_argument("--blur-sigma", type=float, default=defaults.sigma, help="Gaussian sigma of the baseline (default %(default)s)")
    group.add_argument("--kernel-size", type=int, default=defaults.kernel_size, help="Gaussian kernel side, odd (default %(default)s)")
    group.add_argument("--steps", type=int, default=defaults.steps, help="integration steps along the path (default %(default)s)")
    add_runtime_options(parser, batch_unit="path steps")
    parser.set_defaults(func=run)


def summary(record: dict) -> str:
    gap = record["completeness"]
    return (f"{record['model']['name']} on sr-x{record['task']['scale']}: LAM DI {record['diffusion_index']:.2f} "
            f"(Gini {record['gini']:.4f}), completeness gap {gap['gap']:.3g} of {gap['target_input'] - gap['target_baseline']:.3g}, "
            f"{record['forwards']} forwards in {record['seconds']:.1f} s")


def run(args: argparse.Namespace) -> int:
    settings = LAMSettings(sigma=args.blur_sigma, kernel_size=args.kernel_size, steps=args.steps)
    window = ROI.parse(args.roi, default_size=DEFAULT_WINDOW)
    # checked before any work; removed again if the run fails
    with output_folder(args.out, files=(RESULT_FILE, LAM_HEATMAP)) as out:
        result = compute_lam(model=args.model, image=args.image, window=window, lq=args.lq, settings=settings,
                             device=args.device, batch_size=args.batch_size, weights=args.weights,
                             progress=not args.quiet)
        path = result.write(out)
    print(summary(result.record))
    print(f"wrote {path} and {path.parent / LAM_HEATMAP}")
    return 0
