"""The findings report: Markdown (GitHub tables via tabulate) around the computed findings and figures.

``render_findings`` draws the figures and returns the Markdown. Everything in the text comes from the
result files and the pre-registered constants of :mod:`cem_bench.analysis.findings`, and the date is the newest
``environment.created`` among the results, so the same results always give the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from tabulate import tabulate

from cem_bench.analysis.cluster import LEVEL, MIN_IMAGES, RESAMPLES, SEED
from cem_bench.analysis.correlation import MIN_MODELS
from cem_bench.analysis.findings import SMOKE_SUITES, VERDICT_SUITE, Finding, Table, analyse_all, load_units, newest_date
from cem_bench.analysis.findings.stats import ALPHA, FINDINGS_TESTED, p_text
from cem_bench.analysis.significance import Q
from cem_bench.core.errors import CemBenchError
from cem_bench.core.version import __version__
from cem_bench.report.figures import draw_findings
from cem_bench.report.gallery import draw_gallery

INTRO = (
    "Each section tests one of the CEM paper's findings (Hu et al., TPAMI 2025) with a rule pre-registered in "
    "`docs/findings.md`; verdicts (*supported*, *not supported*, *inconclusive*) are computed from the result files "
    "by `cem_bench/analysis/findings/`, never written by hand. The image is the sampling unit: unit values "
    "(differences paired on task, image and ROI) are averaged per image, and intervals are 95% studentized cluster-"
    f"bootstrap intervals over images ({RESAMPLES:,} resamples, `numpy.random.default_rng({SEED})`); below "
    f"{MIN_IMAGES} images no interval is given (*n too small*). Correlations over models use a Bonett–Wright "
    f"interval (at least {MIN_MODELS} models). *Significant* blocks differ from 0 beyond their Monte-Carlo error "
    f"(t-test per block, Benjamini–Hochberg over the map at q = {Q:.0%}); *raw* counts are the protocol's "
    f"(|CE| ≥ tol). One primary test per finding, Holm across the {FINDINGS_TESTED} at {ALPHA:.0%}. Analytic "
    "operators are never a finding's subject (finding 1 uses bicubic as its null operator); the gallery shows them."
)
SMOKE = "CI smoke suite: no verdicts"
GALLERY = (
    "For each task, every model's CEM map of the suite's first image and ROI, side by side with one colour "
    "bound per task (SR 2.5 dB, DN 1 dB, DR 2 dB; `cem_bench/report/heatmap.py`). Blue blocks hurt the ROI, "
    "red blocks help it; the ROI's own blocks are grey. Maps are blended lightly with the clean crop."
)


def table_markdown(table: Table) -> str:
    """A captioned GitHub table.

    >>> print(table_markdown(Table("Caption.", ("a", "b"), (("1", "x"),))))
    Caption.
    <BLANKLINE>
    | a   | b   |
    |-----|-----|
    | 1   | x   |
    """
    body = tabulate([list(row) for row in table.rows], headers=list(table.headers), tablefmt="github",
                    disable_numparse=True)
    return f"{table.caption}\n\n{body}"


def no_verdicts(suite: str) -> str:
    """What a report without verdicts says in their place.

    >>> no_verdicts("quick"), no_verdicts("quick-x3"), no_verdicts("mine")
    ('CI smoke suite: no verdicts', 'CI smoke suite: no verdicts', 'no verdicts: verdicts come from the standard suite only')
    """
    return SMOKE if suite in SMOKE_SUITES else f"no verdicts: verdicts come from the {VERDICT_SUITE} suite only"


def section(finding: Finding, figure: str | None, suite: str) -> list[str]:
    """The Markdown of one finding: hypothesis, test, figure, tables, primary test, verdict, limits."""
    parts = [f"## Finding {finding.number}: {finding.title}", "",
             f"**Hypothesis.** {finding.hypothesis}", "",
             f"**Pre-registered test.** {finding.test}", ""]
    if figure:
        parts += [f"![Finding {finding.number}]({figure})", ""]
    for table in finding.tables:
        parts += [table_markdown(table), ""]
    primary = finding.primary
    parts += [f"**Primary test.** {primary.statement}. Power: {primary.power}.", ""]
    if primary.sensitivity:
        holm_p = None if finding.verdict is None else finding.sensitivity_holm_p  # no verdicts, no Holm step
        parts += [f"**Sensitivity** (not pre-registered; the verdict is the bootstrap-t's). "
                  f"{primary.sensitivity.text(holm_p)}.", ""]
    if finding.verdict is None:
        parts += [f"**Verdict: {no_verdicts(suite)}.**", ""]
    else:
        parts += [f"**Verdict: {finding.verdict.verdict}.** {finding.verdict.reason} (n = {primary.n} images).", ""]
    parts += [f"**Limits.** {finding.limits}", ""]
    return parts


def summary(findings: list[Finding], suite: str) -> str:
    """The verdict table at the top: claim, verdict, n, Holm-adjusted p, power."""
    rows = []
    for f in findings:
        verdict = f.verdict.verdict if f.verdict else no_verdicts(suite)
        holm = p_text(f.holm_p) if f.verdict and not f.primary.blocked else "–"
        rows.append([str(f.number), f.title, verdict, str(f.primary.n), holm, f.primary.power])
    return tabulate(rows, headers=["finding", "claim", "verdict", "images", "Holm-adjusted p", "power"],
                    tablefmt="github", disable_numparse=True)


def left_out(units, planned: Iterable[tuple[str, str]] | None) -> list[str]:
    """A paragraph listing every planned (model, task) without a (complete) result file."""
    if planned is None:
        return []
    present = set(zip(units["model"], units["task"]))
    absent = sorted(set(planned) - present, key=lambda pair: (pair[1], pair[0]))
    if not absent:
        return ["**Left out:** none; every planned (model, task) has a complete result.", ""]
    listed = "; ".join(f"{task}: {', '.join(m for m, t in absent if t == task)}"
                       for task in sorted({t for _, t in absent}))
    return [f"**Left out** ({len(absent)} planned (model, task) without a complete result file, so in no table "
            f"or test): {listed}.", ""]


def _link(folder: Path, name: str, relative_to: Path | None) -> str:
    """A figure's link: relative to the report's folder when known, else ``<folder name>/<file>``."""
    if relative_to is None:
        return f"{folder.name}/{name}"
    return Path(os.path.relpath(folder / name, relative_to)).as_posix()


def render_findings(results_dir: str | Path, suite: str, figures_dir: str | Path,
                    relative_to: str | Path | None = None, planned: Iterable[tuple[str, str]] | None = None,
                    planned_trained: Iterable[tuple[str, str]] | None = None) -> str:
    """Draw the figures into ``figures_dir`` and return the findings Markdown of ``suite``.

    Figure links are relative to ``relative_to`` (the report's folder) or, by default, written as
    ``<figures_dir name>/<file>`` (the report sits beside its figures folder). ``planned`` is the suite's
    (model, task label) pairs (``pipeline.plan``): those without a result are listed as left out;
    ``planned_trained`` its trained single-task ones, all of which finding 1's test waits for.
    Verdicts are given for :data:`~cem_bench.analysis.findings.VERDICT_SUITE` only.
    """
    units = load_units(results_dir, suite)
    if not len(units):
        raise CemBenchError(f"no results for suite {suite} under {results_dir}; run `cem-bench run --suite {suite}`")
    folder = Path(figures_dir)
    base = None if relative_to is None else Path(relative_to)
    figures = draw_findings(units, folder)
    gallery = draw_gallery(units, folder)
    findings = analyse_all(units, verdicts=suite == VERDICT_SUITE, planned=planned_trained)
    protocols = ", ".join(f"`{pid}`" for pid in sorted(set(units["protocol"])))
    parts = [f"# cem-bench findings — suite `{suite}`", "",
             f"Protocol {protocols}; cem-bench {__version__}; generated {newest_date(units)} by `cem-bench report` "
             f"from {len(units)} units of {units['model'].nunique()} models on {units['task'].nunique()} tasks.", "",
             INTRO, "", summary(findings, suite), "", *left_out(units, planned)]
    for finding in findings:
        figure = figures.get(finding.number)
        parts += section(finding, _link(folder, figure, base) if figure else None, suite)
    parts += ["## Heatmap gallery", "", GALLERY, ""]
    for task, name in gallery.items():
        parts += [f"### {task}", "", f"![{task}]({_link(folder, name, base)})", ""]
    parts += [f"Cluster bootstrap: {RESAMPLES:,} resamples of images, seed {SEED}, level {LEVEL:.0%}.", ""]
    return "\n".join(parts)
