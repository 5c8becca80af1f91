"""`cem-bench run --suite NAME`: score every (model, task, image, ROI) of a suite into results/."""

from __future__ import annotations

import argparse

from cem_bench.cli.options import add_backend_option, add_cards_option
from cem_bench.core.files import output_folder
from cem_bench.pipeline.executors import available
from cem_bench.pipeline.params import apply_params
from cem_bench.pipeline.runner import run_suite
from cem_bench.pipeline.suites import load_suite


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("run", help="run a suite: every model on every task it supports")
    parser.add_argument("--suite", default="quick", help="suite name (quick, standard) or a suite .yaml (default %(default)s)")
    parser.add_argument("--models", default=None, help="comma-separated model names or card paths (default: the suite's)")
    add_cards_option(parser)
    parser.add_argument("--out", default="results", help="results folder (default %(default)s)")
    parser.add_argument("--executor", default="serial", choices=available(), help="default %(default)s")
    parser.add_argument("--address", default=None, help="ray: cluster address (e.g. auto); default: a local instance")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=None, help="interventions per forward (default: automatic)")
    parser.add_argument("--tasks", default=None, help="comma-separated task labels to keep, e.g. sr-x4,dn-s50")
    parser.add_argument("--params", default=None, help="DVC params file whose `protocol` overrides the suite's (dvc.yaml)")
    parser.add_argument("--no-summary", action="store_true", help="do not rewrite OUT/summary.json (DVC score stages)")
    parser.add_argument("--budget", type=duration, default=None,
                        help="stop after this much time (e.g. 2h, 90m, 3600s): cheapest jobs first, resumable")
    parser.add_argument("--order", choices=("cheapest", "expensive"), default="cheapest",
                        help="with --budget: which jobs first (default %(default)s; a GPU takes the expensive ones)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_backend_option(parser)
    parser.set_defaults(func=run)


def duration(text: str) -> float:
    """``2h``, ``90m``, ``45s`` or plain seconds, as seconds.

    >>> duration("2h"), duration("90m"), duration("30")
    (7200.0, 5400.0, 30.0)
    """
    units = {"h": 3600.0, "m": 60.0, "s": 1.0}
    number, factor = (text[:-1], units[text[-1]]) if text and text[-1] in units else (text, 1.0)
    try:
        seconds = float(number) * factor
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 2h, 90m, 3600s)") from None
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"a budget must be a positive, finite duration, got {text!r}")
    return seconds


def run(args: argparse.Namespace) -> int:
    suite = apply_params(load_suite(args.suite), args.params)
    models = args.models.split(",") if args.models else None
    options = {"address": args.address} if args.address else None
    with output_folder(args.out):  # an unusable --out is refused before the first unit is scored
        written = run_suite(suite, models=models, out=args.out, executor=args.executor, progress=not args.quiet,
                            device=args.device, batch_size=args.batch_size, executor_options=options,
                            tasks=args.tasks.split(",") if args.tasks else None, summary=not args.no_summary,
                            budget=args.budget, order=args.order, backend=args.backend)
    summary = "" if args.no_summary else f" and {args.out}/summary.json"
    print(f"wrote {len(written)} result files under {args.out}/{suite.name}{summary}")
    return 0
