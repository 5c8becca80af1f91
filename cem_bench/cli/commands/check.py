"""`cem-bench check`: fail when committed results contradict themselves, or summary, params or reports are
stale (CI runs it); ``--regenerate`` also rescores the suite and compares; ``--committed-only`` and
``--rescore-sample`` (the suite's ``ci_sample`` units) are the checks of a suite still being computed."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from cem_bench.cli.options import add_backend_option
from cem_bench.core.errors import CemBenchError

if TYPE_CHECKING:
    from cem_bench.pipeline.suites import Suite


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="check committed results/reports against what the code produces")
    parser.add_argument("--suite", default="quick", help="suite name (default %(default)s)")
    parser.add_argument("--results", default="results", help="committed results folder (default %(default)s)")
    parser.add_argument("--reports", default="reports", help="committed reports folder (default %(default)s)")
    parser.add_argument("--params", default="params.yaml", help="DVC params file (default %(default)s)")
    rescore = parser.add_mutually_exclusive_group()
    rescore.add_argument("--regenerate", action="store_true",
                         help="also rescore the whole suite in a temporary folder and compare (rules: cem_bench/reproduction.py)")
    rescore.add_argument("--rescore-sample", action="store_true",
                         help="rescore only the suite's ci_sample units in a temporary folder and compare each with its "
                              "committed unit record (same rules); no params or reports: for a suite still being computed")
    parser.add_argument("--committed-only", action="store_true",
                        help="check only the committed result files and unit records of the suite (schema, derived "
                             "numbers, protocol, image hashes), its leaderboard and findings report, and RESULTS/summary.json "
                             "where there is one (every suite's means: a new complete file changes it), not params: "
                             "for a suite still being computed")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_backend_option(parser)  # --regenerate with onnxruntime: do its maps pass the same rules as torch's?
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cem_bench.pipeline.aggregate import SUMMARY_FILE, summary_text
    from cem_bench.pipeline.check import compare_trees, inconsistent_results, stale_files, summarise
    from cem_bench.pipeline.leaderboards import findings_file, leaderboard_file, render_leaderboard
    from cem_bench.pipeline.params import apply_protocol, read_params, unit_list
    from cem_bench.pipeline.runner import models_without_weights, plan, run_suite
    from cem_bench.pipeline.suites import load_suite, suite_name

    results, reports = Path(args.results), Path(args.reports)
    if args.committed_only or args.rescore_sample:
        suite = load_suite(args.suite)
        if args.committed_only:
            _check_committed(results, reports, suite)
        if args.rescore_sample:
            _check_sample(results, suite, args)
        return 0
    params = read_params(args.params)
    suite = load_suite(args.suite)
    # params.yaml parametrises the DVC pipeline of one suite: its protocol overrides and units are that
    # suite's only (another smoke suite, e.g. quick-x3, is scored outside DVC, with its own protocol).
    pipelined = suite_name(str(params.get("suite", ""))) == suite.name
    if pipelined:
        suite = apply_protocol(suite, params.get("protocol"), args.params)
    # First: reports rendered from a self-contradicting file would only repeat (or refuse) its numbers.
    inconsistent, files = inconsistent_results(results, suite.name)
    if inconsistent:
        print("\n".join(inconsistent), file=sys.stderr)
        raise CemBenchError(f"{len(inconsistent)} number(s) in the committed {suite.name} results do not follow from "
                            "their own maps and units (listed above)")
    print(f"{files} result file(s): every derived number follows from the file's maps and units")
    problems = []
    if pipelined and dict(params.get("units") or {}) != unit_list(suite):
        problems.append(f"{args.params}: units differ from the suite's plan (run `cem-bench data params`)")
    renderers = {results / SUMMARY_FILE: lambda: summary_text(results),
                 reports / leaderboard_file(suite.name): lambda: render_leaderboard(results, suite)}
    renderers[reports / findings_file(suite.name)] = _findings_renderer(results, suite)
    problems += stale_files(renderers)
    if problems:
        raise CemBenchError(summarise(problems, "stale file(s)"))
    checked = f"{args.params}, summary.json" if pipelined else f"summary.json ({args.params} is suite {params.get('suite')}'s)"
    print(f"{checked} and {len(renderers) - 1} report(s) match the committed results")
    if not args.regenerate:
        return 0
    with tempfile.TemporaryDirectory(prefix="cem-check-") as folder:
        run_suite(suite, out=folder, progress=not args.quiet, device="cpu", summary=False, backend=args.backend)
        absent = frozenset(models_without_weights(plan(suite)))
        differences, flips = compare_trees(results / suite.name, Path(folder) / suite.name, unscored=absent)
    if absent:
        print(f"not checked: no weights on this machine for {', '.join(sorted(absent))}")
    if differences:
        raise CemBenchError(summarise(differences, f"difference(s) between committed and regenerated {suite.name} results"))
    print(f"regenerated suite {suite.id}: every result matches the committed one within tolerance "
          f"({flips} threshold flip(s) allowed; rules: cem_bench/reproduction.py)")
    return 0


def _check_committed(results: Path, reports: Path, suite: Suite) -> None:
    """``--committed-only``: the suite's committed result files and unit records, without rescoring, and
    its leaderboard (coverage included: it changes with every unit committed), findings report and the
    results' ``summary.json`` where one is kept (a result file completed without `cem-bench aggregate`
    would otherwise fail only the quick suite's check, after the whole test run)."""
    from cem_bench.pipeline.aggregate import SUMMARY_FILE, summary_text
    from cem_bench.pipeline.check import inconsistent_results, inconsistent_units, stale_files, summarise
    from cem_bench.pipeline.committed import Committed
    from cem_bench.pipeline.leaderboards import findings_file, leaderboard_file, render_leaderboard
    from cem_bench.pipeline.provenance import stale_records

    committed = Committed.read(results, suite)  # each file read once for the three checks
    inconsistent, files = inconsistent_results(results, suite.name, committed)
    unit_issues, units = inconsistent_units(results, suite, committed)
    problems = inconsistent + unit_issues + stale_records(results, suite, committed)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise CemBenchError(f"{len(problems)} problem(s) in the committed {suite.name} results (listed above)")
    print(f"suite {suite.name}: {files} result file(s) and {units} unit record(s) are valid, follow from their "
          "maps and were computed for the suite's protocol, images and plan and the current model cards")
    board, findings = reports / leaderboard_file(suite.name), reports / findings_file(suite.name)
    renderers = {board: lambda: render_leaderboard(results, suite)}
    if files:  # once a (model, task) is complete, the findings report covers it
        renderers[findings] = _findings_renderer(results, suite)
    if (results / SUMMARY_FILE).is_file():  # a scratch results folder (a test, a device run) keeps none
        renderers[results / SUMMARY_FILE] = lambda: summary_text(results)
    stale = stale_files(renderers)
    if stale:
        raise CemBenchError(summarise(stale, "stale file(s)"))
    print(f"{', '.join(map(str, renderers))} match the committed {suite.name} results and unit records")


def _check_sample(results: Path, suite: Suite, args: argparse.Namespace) -> None:
    """``--rescore-sample``: the suite's ``ci_sample`` units rescored on this CPU and compared."""
    from cem_bench.pipeline.check import rescore_sample

    problems, flips, count = rescore_sample(results, suite, device="cpu", backend=args.backend,
                                            progress=not args.quiet)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        raise CemBenchError(f"{len(problems)} difference(s) between committed and rescored {suite.name} sample units "
                            "(listed above; rules: cem_bench/pipeline/reproduction.py)")
    print(f"suite {suite.name}: {count} sampled unit(s) rescored, each matches its committed record within tolerance "
          f"({flips} threshold flip(s) allowed; rules: cem_bench/pipeline/reproduction.py)")


def _findings_renderer(results: Path, suite):
    """The findings report's renderer (as `cem-bench report` renders it: with the suite's plan for the left-out
    list); its figures go to a throw-away folder (PNGs are not compared)."""
    from cem_bench.pipeline.leaderboards import figures_folder
    from cem_bench.pipeline.plan import planned_results
    from cem_bench.report.findings_md import render_findings

    def render() -> str:
        with tempfile.TemporaryDirectory(prefix="cem-figures-") as folder:  # links name the folder: keep its name
            return render_findings(results, suite.name, Path(folder) / figures_folder(suite.name),
                                   planned=planned_results(suite),
                                   planned_trained=planned_results(suite, trained_single_task=True))
    return render
