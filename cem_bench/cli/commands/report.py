"""`cem-bench report`: the findings report (Markdown + figures) of a suite from its result files."""

from __future__ import annotations

import argparse
from pathlib import Path

from cem_bench.core.files import atomic_write_bytes, output_file
from cem_bench.pipeline.leaderboards import figures_folder, findings_file
from cem_bench.pipeline.suites import builtin_suites, load_suite, suite_name


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="write the findings report (Markdown and figures) of a suite")
    parser.add_argument("--suite", default="standard", help="suite name (default %(default)s: the one with verdicts)")
    parser.add_argument("--results", default="results", help="results folder (default %(default)s)")
    parser.add_argument("--out", default=None,
                        help="Markdown file; figures go to a folder beside it (default: reports/findings.md and "
                             "reports/figures/ for standard, reports/NAME_findings.md and reports/NAME_figures/ "
                             "for a CI smoke suite (quick, quick-x3), reports/findings-NAME.md and reports/figures-NAME/ otherwise)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cem_bench.report.findings_md import render_findings  # matplotlib/seaborn only when the command runs

    name = suite_name(args.suite)
    with output_file(args.out if args.out is not None else Path("reports") / findings_file(name)) as out:
        figures = out.parent / figures_folder(name)  # checked before any figure is drawn
        text = render_findings(args.results, name, figures, planned=planned(args.suite),
                               planned_trained=planned(args.suite, trained_single_task=True))
        atomic_write_bytes(out, text.encode())
    print(f"wrote {out} and its figures in {figures}")
    return 0


def planned(ref: str, trained_single_task: bool = False) -> set[tuple[str, str]] | None:
    """The (model, task) results a shipped suite or a suite file plans (``trained_single_task``: of trained,
    single-task models only); None for a name that is neither (its results can still be reported, without a
    left-out list)."""
    from cem_bench.pipeline.plan import planned_results  # reads the registry: only when the command runs

    if str(ref).endswith((".yaml", ".yml")) or Path(ref).is_file() or ref in builtin_suites():
        return planned_results(load_suite(ref), trained_single_task)
    return None
