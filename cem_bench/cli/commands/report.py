"""`cem-bench report`: the findings report (Markdown + figures) of a suite from its result files."""

from __future__ import annotations

import argparse
from pathlib import Path

from cem_bench.core.files import atomic_write_bytes
from cem_bench.pipeline.suites import suite_name

FIGURES = "figures"  # folder beside the report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="write the findings report (Markdown and figures) of a suite")
    parser.add_argument("--suite", default="quick", help="suite name (default %(default)s)")
    parser.add_argument("--results", default="results", help="results folder (default %(default)s)")
    parser.add_argument("--out", default="reports/findings.md",
                        help=f"Markdown file; figures go to {FIGURES}/ beside it (default %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cem_bench.report.findings_md import render_findings  # matplotlib/seaborn only when the command runs

    out = Path(args.out)
    text = render_findings(args.results, suite_name(args.suite), out.parent / FIGURES)
    atomic_write_bytes(out, text.encode())
    print(f"wrote {out} and its figures in {out.parent / FIGURES}")
    return 0
