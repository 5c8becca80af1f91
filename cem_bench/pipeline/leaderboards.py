"""Which leaderboard a suite gets, in which file, and the coverage it is rendered with.

* ``standard`` (what to cite) -> ``reports/leaderboard.md``: complete results ranked, every other planned
  model with its coverage (:func:`cem_bench.report.leaderboard.render_with_coverage`). Its inputs are the
  committed ``results/standard`` tree, ``.units/`` included, and the suite's plan;
* the CI smoke suites (:data:`~cem_bench.analysis.findings.SMOKE_SUITES`: ``quick``, ``quick-x3``) ->
  ``reports/<name>_smoke.md`` (``quick_smoke.md``, ``quick-x3_smoke.md``), labelled not for citation, no verdicts;
* any other suite -> ``reports/leaderboard-<name>.md``, the plain tables.

The findings report follows the same rule (one function, :func:`report_name`): the standard suite's is
``reports/findings.md`` with ``reports/figures/`` (the verdicts), a smoke suite's
``reports/<name>_findings.md`` with ``reports/<name>_figures/`` (tables and maps, no verdicts), any other
suite's ``reports/findings-<name>.md`` with ``reports/figures-<name>/``.

The plan lives on this floor, so this is where coverage is assembled; the report floor only renders it.
"""

from __future__ import annotations

from pathlib import Path

from cem_bench.analysis.coverage import Coverage, PlannedUnit, coverage, read_unit_records
from cem_bench.analysis.findings import SMOKE_SUITES
from cem_bench.models import get_card
from cem_bench.pipeline.plan import plan
from cem_bench.pipeline.reach import cpu_job_bounds
from cem_bench.pipeline.runner import UNITS_DIR, fingerprint
from cem_bench.pipeline.suites import Suite
from cem_bench.report.leaderboard import render, render_with_coverage

CITED = "standard"


def is_smoke(suite: str) -> bool:
    """Whether ``suite`` is a CI smoke suite (rescored whole in CI; never cited)."""
    return suite in SMOKE_SUITES


def report_name(suite: str, stem: str, suffix: str = "", smoke_stem: str | None = None) -> str:
    """The one naming rule of a suite's report files and folders under ``reports/``: ``STEM SUFFIX`` for
    the cited suite, ``SUITE_SMOKESTEM SUFFIX`` for a CI smoke suite (``smoke_stem`` defaults to ``stem``),
    ``STEM-SUITE SUFFIX`` for any other.

    >>> [report_name(name, "findings", ".md") for name in ("standard", "quick", "mine")]
    ['findings.md', 'quick_findings.md', 'findings-mine.md']
    """
    if suite == CITED:
        return f"{stem}{suffix}"
    return f"{suite}_{smoke_stem or stem}{suffix}" if is_smoke(suite) else f"{stem}-{suite}{suffix}"


def leaderboard_file(suite: str) -> str:
    """The file name of a suite's leaderboard under ``reports/``.

    >>> [leaderboard_file(name) for name in ("standard", "quick", "quick-x3", "mine")]
    ['leaderboard.md', 'quick_smoke.md', 'quick-x3_smoke.md', 'leaderboard-mine.md']
    """
    return report_name(suite, "leaderboard", ".md", smoke_stem="smoke")


def findings_file(suite: str) -> str:
    """The file name of a suite's findings report under ``reports/``.

    >>> [findings_file(name) for name in ("standard", "quick", "quick-x3", "mine")]
    ['findings.md', 'quick_findings.md', 'quick-x3_findings.md', 'findings-mine.md']
    """
    return report_name(suite, "findings", ".md")


def figures_folder(suite: str) -> str:
    """The folder beside the findings report that holds its figures (one per suite: they must not overwrite
    each other's).

    >>> [figures_folder(name) for name in ("standard", "quick", "quick-x3", "mine")]
    ['figures', 'quick_figures', 'quick-x3_figures', 'figures-mine']
    """
    return report_name(suite, "figures")


def suite_coverage(results_dir: str | Path, suite: Suite) -> Coverage:
    """The coverage of ``suite`` by the unit records under ``<results>/<suite>/.units``: a record counts
    when the runner would reuse it (its key planned, its fingerprint the current one). Images are not
    read, so it is the same on a machine without them."""
    cards: dict[str, object] = {}
    planned = []
    units = plan(suite, check_images=False)
    for unit in units:
        if unit.card_ref not in cards:
            cards[unit.card_ref] = get_card(unit.card_ref)
        planned.append(PlannedUnit(unit.key, unit.model, unit.task.label, unit.image,
                                   fingerprint(unit, suite, cards[unit.card_ref])))
    return coverage(planned, read_unit_records(Path(results_dir) / suite.name / UNITS_DIR),
                    cpu_job_bounds(results_dir, suite, units, cards))


def render_leaderboard(results_dir: str | Path, suite: Suite) -> str:
    """The leaderboard Markdown of ``suite``, of the kind its name calls for (module docstring)."""
    if suite.name == CITED:
        return render_with_coverage(results_dir, suite.id, suite.protocol.id, suite_coverage(results_dir, suite))
    return render(results_dir, suite.name, smoke=is_smoke(suite.name))
