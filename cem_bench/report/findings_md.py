"""The findings report: Markdown (GitHub tables via tabulate) around the computed findings and figures.

``render_findings`` draws the figures and returns the Markdown. Everything in the text comes from the
result files and the pre-registered constants of :mod:`cem_bench.analysis.findings`, and the date is the newest
``environment.created`` among the results, so the same results always give the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

from tabulate import tabulate

from cem_bench.analysis.findings import Finding, Table, analyse_all, load_units, newest_date
from cem_bench.analysis.findings.stats import LEVEL, MIN_CORRELATED, MIN_PAIRED, RESAMPLES, SEED
from cem_bench.core.errors import CemBenchError
from cem_bench.core.version import __version__
from cem_bench.report.figures import draw_findings
from cem_bench.report.gallery import draw_gallery

INTRO = (
    "Each section tests one of the CEM paper's findings (Hu et al., TPAMI 2025; `docs/findings.md`) with a rule "
    "fixed before any result was looked at. Verdicts (*supported*, *not supported*, *inconclusive*) are computed "
    "from the result files by `cem_bench/findings/`, never written by hand. Intervals are 95% percentile-bootstrap "
    f"CIs ({RESAMPLES:,} resamples, `numpy.random.default_rng({SEED})`): over (image, ROI) units paired between "
    f"the two models for model comparisons, over models for correlations. Fewer than {MIN_PAIRED} paired units, "
    f"fewer than {MIN_CORRELATED} models for a correlation, or a missing model make a verdict *inconclusive*. "
    "Analytic operators (identity, bicubic, nearest, box blur) are left out of every statistic; they appear in "
    "the gallery only. Cells are `mean [low, high]`; a constant shows its value only."
)
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


def section(finding: Finding, figure: str | None) -> list[str]:
    """The Markdown of one finding: hypothesis, test, figure, tables, verdict, limits."""
    parts = [f"## Finding {finding.number}: {finding.title}", "",
             f"**Hypothesis.** {finding.hypothesis}", "",
             f"**Pre-registered test.** {finding.test}", ""]
    if figure:
        parts += [f"![Finding {finding.number}]({figure})", ""]
    for table in finding.tables:
        parts += [table_markdown(table), ""]
    parts += [f"**Verdict: {finding.verdict.verdict}.** {finding.verdict.reason}.", "",
              f"**Limits.** {finding.limits}", ""]
    return parts


def _link(folder: Path, name: str, relative_to: Path | None) -> str:
    """A figure's link: relative to the report's folder when known, else ``<folder name>/<file>``."""
    if relative_to is None:
        return f"{folder.name}/{name}"
    return Path(os.path.relpath(folder / name, relative_to)).as_posix()


def render_findings(results_dir: str | Path, suite: str, figures_dir: str | Path,
                    relative_to: str | Path | None = None) -> str:
    """Draw the figures into ``figures_dir`` and return the findings Markdown of ``suite``.

    Figure links are relative to ``relative_to`` (the report's folder) or, by default, written as
    ``<figures_dir name>/<file>`` (the report sits beside its figures folder).
    """
    units = load_units(results_dir, suite)
    if not len(units):
        raise CemBenchError(f"no results for suite {suite} under {results_dir}; run `cem-bench run --suite {suite}`")
    folder = Path(figures_dir)
    base = None if relative_to is None else Path(relative_to)
    figures = draw_findings(units, folder)
    gallery = draw_gallery(units, folder)
    findings = analyse_all(units)
    protocols = ", ".join(f"`{pid}`" for pid in sorted(set(units["protocol"])))
    parts = [f"# cem-bench findings — suite `{suite}`", "",
             f"Protocol {protocols}; cem-bench {__version__}; generated {newest_date(units)} by `cem-bench report` "
             f"from {len(units)} units of {units['model'].nunique()} models on {units['task'].nunique()} tasks.", "",
             INTRO, "",
             tabulate([[f"{f.number}", f.title, f.verdict.verdict] for f in findings],
                      headers=["finding", "claim", "verdict"], tablefmt="github", disable_numparse=True), ""]
    for finding in findings:
        figure = figures.get(finding.number)
        parts += section(finding, _link(folder, figure, base) if figure else None)
    parts += ["## Heatmap gallery", "", GALLERY, ""]
    for task, name in gallery.items():
        parts += [f"### {task}", "", f"![{task}]({_link(folder, name, base)})", ""]
    parts += [f"Bootstrap: {RESAMPLES:,} resamples, seed {SEED}, level {LEVEL:.0%}.", ""]
    return "\n".join(parts)
