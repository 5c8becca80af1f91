"""`cem-bench submit CARD.yaml`: check a new model, score it on a suite and say where it ranks among the
registered models' results of that suite (the steps are :mod:`cem_bench.pipeline.submit`'s)."""

from __future__ import annotations

import argparse
import sys

from cem_bench.cli.options import add_cards_option, add_runtime_options
from cem_bench.core.files import output_folder


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("submit", help="check a new model card + weights, score it on a suite, print its rank")
    parser.add_argument("card", metavar="CARD.yaml", help="the model card (see README: Submit your model)")
    parser.add_argument("--weights", default=None, help="checkpoint file (overrides the card's search path)")
    parser.add_argument("--suite", default="quick", help="suite name or suite .yaml (default %(default)s)")
    parser.add_argument("--out", default="results", help="results folder (default %(default)s)")
    parser.add_argument("--results", default=None,
                        help="the registered models' results of the suite to rank against (default: the results "
                             "committed in the repository this package runs from)")
    parser.add_argument("--allow-download", action="store_true", help="download the weights from the card's url if missing")
    add_cards_option(parser)
    add_runtime_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cem_bench.pipeline.submit import RANK_KEY, check_submission, score_and_rank

    with output_folder(args.out):  # an unusable --out is refused before the card is even checked
        checked = check_submission(args.card, args.suite, args.weights, args.allow_download, args.device,
                                   results=args.results)
        for note in checked.notes:
            print(note)
        for warning in checked.warnings:
            print(f"cem-bench: warning: {warning}", file=sys.stderr)
        written, ranks = score_and_rank(checked, args.out, args.device, args.batch_size, progress=not args.quiet)
    for path in written:
        print(f"wrote {path}")
    where = checked.against.where()
    for rank in ranks:
        gain = "undefined" if rank.gain is None else f"{rank.gain:+.2f} dB"
        if rank.position is None:
            print(f"rank on {rank.task}: unranked (mean gain {gain}): no registered model's result of suite "
                  f"{checked.suite.id} on {rank.task} in {where}")
        else:
            print(f"rank on {rank.task}: {rank.position} of {rank.total} by {RANK_KEY} (mean gain {gain}), against "
                  f"the registered models' results in {where}")
        warning = rank.warning(checked.card.name)
        if warning:
            print(f"cem-bench: warning: {warning}", file=sys.stderr)
    return 0
