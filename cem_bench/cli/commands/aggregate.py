"""`cem-bench aggregate`: rewrite ``results/summary.json`` (the DVC metrics file) from the result files."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("aggregate", help="write RESULTS/summary.json from every suite's result files")
    parser.add_argument("--results", default="results", help="results folder (default %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cem_bench.pipeline.aggregate import write_summary

    print(f"wrote {write_summary(args.results)}")
    return 0
