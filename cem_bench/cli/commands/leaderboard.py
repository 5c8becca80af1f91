"""`cem-bench leaderboard`: regenerate the Markdown leaderboard of a suite from its result files."""

from __future__ import annotations

import argparse
from pathlib import Path

from cem_bench.core.files import atomic_write_bytes
from cem_bench.pipeline.suites import suite_name
from cem_bench.report.leaderboard import render


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("leaderboard", help="write the Markdown leaderboard of a suite's results")
    parser.add_argument("--suite", default="quick", help="suite name (default %(default)s)")
    parser.add_argument("--results", default="results", help="results folder (default %(default)s)")
    parser.add_argument("--out", default="reports/leaderboard.md", help="Markdown file (default %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = render(args.results, suite_name(args.suite))
    atomic_write_bytes(Path(args.out), text.encode())
    print(f"wrote {args.out}")
    return 0
