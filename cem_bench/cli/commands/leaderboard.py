"""`cem-bench leaderboard`: regenerate the Markdown leaderboard of a suite from its result files."""

from __future__ import annotations

import argparse
from pathlib import Path

from cem_bench.core.files import atomic_write_bytes, output_file
from cem_bench.pipeline.leaderboards import leaderboard_file, render_leaderboard
from cem_bench.pipeline.suites import load_suite


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("leaderboard", help="write the Markdown leaderboard of a suite's results")
    parser.add_argument("--suite", default="standard",
                        help="suite name or YAML (default %(default)s: the suite to cite, with its coverage)")
    parser.add_argument("--results", default="results", help="results folder (default %(default)s)")
    parser.add_argument("--out", default=None,
                        help="Markdown file (default reports/leaderboard.md for standard, reports/NAME_smoke.md "
                             "for a CI smoke suite (quick, quick-x3), reports/leaderboard-NAME.md for another suite)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    suite = load_suite(args.suite)
    with output_file(args.out if args.out is not None else Path("reports") / leaderboard_file(suite.name)) as out:
        text = render_leaderboard(args.results, suite)
        atomic_write_bytes(out, text.encode())
    print(f"wrote {out}")
    return 0
