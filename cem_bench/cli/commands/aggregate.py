"""`cem-bench aggregate`: rewrite ``results/summary.json`` (the DVC metrics file) from the result files;
``--rewrite-aggregates`` first re-derives every result file's aggregates from its stored units."""

from __future__ import annotations

import argparse
from pathlib import Path

from cem_bench.core.errors import CemBenchError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("aggregate", help="write RESULTS/summary.json from every suite's result files")
    parser.add_argument("--results", default="results", help="results folder (default %(default)s)")
    parser.add_argument("--rewrite-aggregates", action="store_true",
                        help="first re-derive the aggregates of every result file from its stored units (intervals "
                             "over images; no rescoring) and rewrite the files they change; files whose units "
                             "contradict their maps or stored means are refused and left as they are")
    parser.add_argument("--suite", action="append", default=None,
                        help="with --rewrite-aggregates: only this suite's folder (repeatable; default every suite)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cem_bench.pipeline.aggregate import rewrite_aggregates, write_summary

    if not Path(args.results).is_dir():  # never create an empty results tree from a mistyped path
        raise CemBenchError(f"--results {args.results}: no such folder of results")
    if args.suite and not args.rewrite_aggregates:
        raise CemBenchError("--suite applies to --rewrite-aggregates only (the summary covers every suite)")
    if args.rewrite_aggregates:
        done = rewrite_aggregates(args.results, args.suite)
        for path in done.rewritten:
            print(f"rewrote {path}")
        print(f"aggregates: {len(done.rewritten)} file(s) rewritten, {len(done.current)} already current, "
              f"{len(done.refused)} refused")
        if done.refused:
            more = f" (and {len(done.refused) - 1} more)" if len(done.refused) > 1 else ""
            raise CemBenchError(f"refused: {done.refused[0]}{more}")
    print(f"wrote {write_summary(args.results)}")
    return 0
