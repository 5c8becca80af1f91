"""`cem-bench report`: the findings report (Markdown + figures) of a suite from its result files."""

from __future__ import annotations

import argparse
from pathlib import Path

from cem_bench.core.files import atomic_write_bytes
from cem_bench.pipeline.suites import builtin_suites, load_suite, suite_name

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
    text = render_findings(args.results, suite_name(args.suite), out.parent / FIGURES, planned=planned(args.suite))
    atomic_write_bytes(out, text.encode())
    print(f"wrote {out} and its figures in {out.parent / FIGURES}")
    return 0


def planned(ref: str) -> set[tuple[str, str]] | None:
    """The (model, task) results a shipped suite or a suite file plans; None for a name that is neither (its
    results can still be reported, without a left-out list)."""
    from cem_bench.pipeline.plan import planned_results  # reads the registry: only when the command runs

    if str(ref).endswith((".yaml", ".yml")) or Path(ref).is_file() or ref in builtin_suites():
        return planned_results(load_suite(ref))
    return None
