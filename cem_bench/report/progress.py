"""Markdown of a suite's coverage (:mod:`cem_bench.analysis.coverage`): the "in progress" rows of a
task and the coverage summary. Coverage only: these rows never carry a mean, an interval or a rank,
because a partial set of images is not the suite's sample."""

from __future__ import annotations

from collections.abc import Iterable

from tabulate import tabulate

from cem_bench.analysis.coverage import Coverage, PairCoverage

ESTIMATE_RULE = ("Estimated CPU time left of a (model, task): its pending jobs (a job is one image's units, scored "
                 "together) x the median seconds of its finished jobs computed on a CPU in one go, a shared run's "
                 "seconds counted once per job. The runner takes the cheapest jobs first, so read it as a lower "
                 "bound. When no such job has finished yet, `≤`: pending jobs x an upper bound of one job, from the "
                 "model's reach kept by the runner (one ROI screened, one whole-image forward timed on a CPU; every "
                 "sampled block's fine samples counted); – when there is neither (rule: "
                 "`cem_bench/analysis/coverage.py`, docs/standard_suite.md).")


def duration(seconds: float | None) -> str:
    """``–`` (unknown), ``0``, ``< 1 min``, whole minutes under an hour, else hours with one decimal."""
    if seconds is None:
        return "–"
    if seconds == 0:
        return "0"
    if seconds < 60:
        return "< 1 min"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def progress_table(pairs: Iterable[PairCoverage]) -> str:
    """One row per (model, task) still in progress: units and images done of planned, time left."""
    body = [[pair.model, f"{pair.units_done:,} / {pair.units_planned:,}", f"{pair.images_done} / {pair.images_planned}",
             ("≤ " if pair.bounded else "") + duration(pair.seconds_left)] for pair in sorted(pairs, key=lambda p: p.model)]
    return tabulate(body, headers=["model", "units done", "images done", "est. CPU time left"], tablefmt="github",
                    disable_numparse=True)


def _share(done: int, planned: int) -> str:
    return f"{done:,} / {planned:,} ({100 * done / planned:.1f}%)" if planned else "0 / 0"


def coverage_line(coverage: Coverage) -> str:
    """One sentence for a report's header: results complete, units done, time left."""
    return (f"Coverage: {coverage.pairs_complete} of {len(coverage.pairs)} (model, task) results complete, "
            f"{_share(coverage.units_done, coverage.units_planned)} units done; estimated CPU time left "
            f"{_total(coverage)} (section \"Coverage\").")


def _total(coverage: Coverage) -> str:
    """The known estimates' sum, saying how many of them are upper bounds; with unknown ones, how many it
    leaves out."""
    bounds = f" ({coverage.bounded} of them upper bounds)" if coverage.bounded else ""
    if coverage.unknown == 0:
        if not coverage.bounded:
            return duration(coverage.seconds_left)
        incomplete = sum(not p.complete for p in coverage.pairs)
        return f"{duration(coverage.seconds_left)} for the {incomplete} incomplete result(s){bounds}"
    estimated = sum(not p.complete and p.seconds_left is not None for p in coverage.pairs)
    return (f"{duration(coverage.seconds_left)} for the {estimated} incomplete result(s) with an estimate{bounds}, "
            f"+ {coverage.unknown} with none yet")


def coverage_section(coverage: Coverage) -> list[str]:
    """The ``## Coverage`` section: done of planned at every level, the total time left and its rule."""
    rows = [["(model, task) results complete", f"{coverage.pairs_complete} / {len(coverage.pairs)}"],
            ["models with every task complete", f"{coverage.models_complete} / {coverage.models_planned}"],
            ["images done (jobs: model, task, image)", _share(coverage.images_done, coverage.images_planned)],
            ["units done (model, task, image, ROI)", _share(coverage.units_done, coverage.units_planned)],
            ["estimated CPU time left", _total(coverage)]]
    return ["## Coverage", "", tabulate(rows, headers=["", "done / planned"], tablefmt="github", disable_numparse=True),
            "", ESTIMATE_RULE, ""]
