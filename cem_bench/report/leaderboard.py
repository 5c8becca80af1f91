"""Markdown leaderboards (GitHub tables via tabulate) from a suite's result files, and a model's rank.

One table per task label (``sr-x2``, ``sr-x4``, ``dn-s50``, ``dr``) plus a ``multi-task`` table
listing every model trained for several tasks on each of them. Rows are sorted by ROI PSNR gain
(higher first); every aggregate is printed as ``mean [low, high]``: the mean over units and the interval of
the studentized cluster bootstrap over images stored in the file, the mean alone where the file has no
interval (fewer than 10 images). A file
that contradicts itself (aggregates that do not follow from its units, unit metrics that do not follow
from its maps) is refused: :mod:`cem_bench.analysis.consistency`.

Three kinds: :func:`render` (any suite), :func:`render_with_coverage` (a suite computed in budgeted runs,
the cited one: complete results ranked, the others listed with their coverage only) and
``render(..., smoke=True)`` (the CI smoke suite, labelled not for citation, without verdicts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from tabulate import tabulate

from cem_bench.analysis.agreement import CAPTION as AGREEMENT_CAPTION
from cem_bench.analysis.agreement import HEADERS as AGREEMENT_HEADERS
from cem_bench.analysis.agreement import agreement_rows
from cem_bench.analysis.bootstrap import UNDEFINED
from cem_bench.analysis.cluster import MIN_IMAGES
from cem_bench.analysis.consistency import require_consistent
from cem_bench.analysis.coverage import Coverage
from cem_bench.analysis.radius import unit_radii
from cem_bench.core.errors import CemBenchError
from cem_bench.core.metrics.catalog import LEADERBOARD_COLUMNS
from cem_bench.core.version import __version__
from cem_bench.records.io import read_result, result_files
from cem_bench.report.progress import coverage_line, coverage_section, progress_table

SORT_KEY = "psnr_gain"
RADIUS = "causal_radius"


def cells_caption(table: pd.DataFrame) -> str:
    """What a cell means, with the number of images (and the level) of the results in ``table``.

    >>> print(cells_caption(pd.DataFrame({"level": [0.95], "psnr_gain": [{"n_images": 3}]})))  # doctest: +ELLIPSIS
    Cells are `mean [low, high]`: ... n = 3 images here, fewer than 10: cells show the mean only ...
    """
    counts = sorted({int(cell["n_images"]) for cell in table[SORT_KEY]}) if len(table) else []
    levels = ", ".join(f"{level:.0%}" for level in sorted(set(table["level"]))) if len(table) else "95%"
    n = ""
    if counts:
        span = str(counts[0]) if counts[0] == counts[-1] else f"{counts[0]}–{counts[-1]}"
        n = f" n = {span} images here."
        if counts[-1] < MIN_IMAGES:
            n = f" n = {span} images here, fewer than {MIN_IMAGES}: cells show the mean only (n too small for an interval)."
    return (f"Cells are `mean [low, high]`: the mean over a result's (image, ROI) units and its {levels} interval "
            "from the studentized cluster bootstrap over the n images (ROIs of an image resampled together); "
            f"with fewer than {MIN_IMAGES} images, the mean alone.{n} The causal radius is the median over units instead "
            "(a radius that reaches the image edge is only a lower bound: `≥` when such a bound could move the "
            "median, with how many units reached the edge). Rows are sorted by gain (ROI PSNR over the "
            "degraded input); every column can be re-sorted by reading the result files "
            "(`results/<suite>/<task>/<model>.json`). Columns and intervals: docs/pipeline.md.")


def _suite_name(suite: Any) -> str:
    return suite if isinstance(suite, str) else suite.name


def load_table(results_dir: str | Path, suite: Any) -> pd.DataFrame:
    """One row per (task label, model): params, flags, protocol id and ``{metric: aggregate}`` columns."""
    rows = []
    for path in result_files(results_dir, _suite_name(suite)):
        record = read_result(path, schema="suite_result")
        require_consistent(record, str(path))
        row = {"task": path.parent.name, "model": record["model"]["name"], "params": record["model"]["params"],
               "multi_task": record["model"]["multi_task"], "protocol": record["protocol"]["id"],
               "units": len(record["units"]), "created": record["environment"]["created"],
               "level": record["bootstrap"]["level"]}
        # UNDEFINED: results written before a metric existed
        row.update({name: record["aggregates"].get(name, UNDEFINED) for name in (column.name for column in LEADERBOARD_COLUMNS)})
        row[RADIUS] = unit_radii(record["units"])  # a median with its censoring, never a mean of lower bounds
        rows.append(row)
    return pd.DataFrame(rows)


def rank(results_dir: str | Path, suite: Any, task_label: str, model: str, key: str = SORT_KEY) -> tuple[int, int]:
    """``(position, of N)`` of ``model`` among the results of ``task_label`` by the mean of ``key``."""
    table = load_table(results_dir, suite)
    rows = table[table["task"] == task_label] if len(table) else table
    if not len(rows) or model not in set(rows["model"]):
        raise CemBenchError(f"no result for {model} on {task_label} in {results_dir}/{_suite_name(suite)}")
    means = rows.set_index("model")[key].map(lambda cell: cell["mean"] if cell["mean"] is not None else float("-inf"))
    return int((means > means[model]).sum()) + 1, len(means)


def _cell(aggregate: dict[str, Any], decimals: int) -> str:
    """``mean [low, high]``; the mean alone without an interval (too few images) or when it is exact; an open
    side (the images cannot bound it, ``reason`` says why) as ``−∞`` or ``∞``."""
    if aggregate["mean"] is None:
        return "–"
    if aggregate["low"] is None and aggregate["high"] is None:
        return f"{aggregate['mean']:.{decimals}f}"
    mean = f"{aggregate['mean']:.{decimals}f}"
    low = "−∞" if aggregate["low"] is None else f"{aggregate['low']:.{decimals}f}"
    high = "∞" if aggregate["high"] is None else f"{aggregate['high']:.{decimals}f}"
    return mean if low == high == mean else f"{mean} [{low}, {high}]"


def _table(rows: pd.DataFrame, with_task: bool) -> str:
    rows = rows.assign(order=rows[SORT_KEY].map(lambda cell: -(cell["mean"] or 0.0)))
    rows = rows.sort_values(["task", "order", "model"] if with_task else ["order", "model"])
    headers = (["task"] if with_task else []) + ["model", "params"] + [column.header for column in LEADERBOARD_COLUMNS]
    body = [([row.task] if with_task else []) + [row.model, "–" if pd.isna(row.params) else f"{int(row.params):,}"]
            + [getattr(row, RADIUS).text() if column.name == RADIUS else _cell(getattr(row, column.name), column.decimals)
               for column in LEADERBOARD_COLUMNS] for row in rows.itertuples()]
    return tabulate(body, headers=headers, tablefmt="github", disable_numparse=True)


def _citation(root: Path, suite_id: str | None = None, protocol: str | None = None) -> str:
    cff = root / "CITATION.cff"
    where = "CITATION.cff in the repository" if cff.is_file() else "CITATION.cff of cem-bench"
    numbers = f"\nsuite {suite_id}, protocol {protocol}" if suite_id and protocol else ""
    return ("```\nHu et al., Interpreting Low-level Vision Models with Causal Effect Maps, IEEE TPAMI 2025, "
            f"doi:10.1109/TPAMI.2025.3557149\ncem-bench {__version__} (see {where}){numbers}\n```")


def _agreement_section(results_dir: str | Path, suite: Any) -> list[str]:
    """LAM DI vs CEM DI as predictors of PSNR gain, per SR task: the findings report's table, computed once
    (``cem_bench.analysis.agreement``)."""
    from cem_bench.analysis.findings.data import load_units

    rows = agreement_rows(load_units(results_dir, _suite_name(suite)))
    if not rows:
        return []
    return ["## LAM vs CEM: does a wider input go with a higher gain? (SR)", "", AGREEMENT_CAPTION, "",
            tabulate([list(row) for row in rows], headers=list(AGREEMENT_HEADERS), tablefmt="github",
                     disable_numparse=True), ""]


def render(results_dir: str | Path, suite: Any, date: str | None = None, smoke: bool = False) -> str:
    """The leaderboard Markdown of one suite; ``smoke``: of the CI smoke suite, labelled not for citation,
    without the agreement verdicts and the citation block.

    ``date`` defaults to the day the newest result was assembled, so the same results always render
    the same file (a CI staleness check can compare it byte for byte).
    """
    table = load_table(results_dir, suite)
    name = _suite_name(suite)
    if not len(table):
        raise CemBenchError(f"no results for suite {name} under {results_dir}; run `cem-bench run --suite {name}`")
    protocols = ", ".join(f"`{pid}`" for pid in sorted(set(table["protocol"])))
    date = date or max(table["created"])[:10]
    generated = f"Protocol {protocols}; cem-bench {__version__}; generated {date} by `cem-bench leaderboard`."
    if smoke:
        parts = [f"# CI smoke suite `{name}` — not for citation, no verdicts", "", generated,
                 f"Suite `{name}` checks in CI that every model and report runs (docs/pipeline.md): a few small "
                 "crops with one ROI each, too few images for an interval and no evidence. Draw no ranking or "
                 "verdict from it and do not cite it: the citable numbers are the standard suite's "
                 "(`reports/leaderboard.md`).",
                 cells_caption(table), ""]
    else:
        parts = [f"# cem-bench leaderboard — suite `{name}`", "", generated, cells_caption(table), ""]
    for task in sorted(set(table["task"])):
        parts += [f"## {task}", "", _table(table[table["task"] == task], with_task=False), ""]
    multi = table[table["multi_task"]]
    if len(multi):
        parts += ["## multi-task", "", _table(multi, with_task=True), ""]
    if smoke:
        return "\n".join(parts)
    parts += _agreement_section(results_dir, suite)
    parts += ["## How to cite", "", _citation(Path.cwd()), ""]
    return "\n".join(parts)


def render_with_coverage(results_dir: str | Path, suite_id: str, protocol: str, coverage: Coverage,
                         date: str | None = None) -> str:
    """The leaderboard of a suite computed in budgeted runs, to be cited with ``protocol``: per task the
    complete results ranked (as :func:`render`), then every other planned model with its coverage only
    (no mean, interval or rank), the coverage summary and the citation block.

    ``coverage`` is the suite's (the caller plans it); ``date`` defaults to the newest of the results'
    and the finished units' timestamps, so the same committed files render the same bytes.
    """
    name = suite_id.split("@", 1)[0]
    table = load_table(results_dir, name)
    if len(table) and set(table["protocol"]) != {protocol}:
        others = ", ".join(sorted(set(table["protocol"]) - {protocol}))
        raise CemBenchError(f"results of suite {name} under {results_dir} carry protocol {others}, the suite's is "
                            f"{protocol}: one leaderboard, one protocol")
    if not len(table) and not coverage.units_done:
        raise CemBenchError(f"no results or finished units for suite {name} under {results_dir}; "
                            f"run `cem-bench run --suite {name}`")
    dates = [*(table["created"] if len(table) else []), *([coverage.latest] if coverage.latest else [])]
    date = date or (max(dates)[:10] if dates else "undated")  # unit records without a timestamp
    ranked = set(zip(table["model"], table["task"])) if len(table) else set()
    sizes = {(p.units_planned, p.images_planned) for p in coverage.pairs}
    units, images = next(iter(sizes)) if len(sizes) == 1 else (0, 0)
    size = (f"all {units} of its units ({images} images × {units // images} ROIs)" if units and units % images == 0
            else "all of its planned units")
    parts = [f"# cem-bench leaderboard — suite `{name}`", "",
             f"**What to cite.** The numbers of this leaderboard, with protocol `{protocol}` (suite `{suite_id}`, "
             f"docs/standard_suite.md); cem-bench {__version__}; generated {date} by `cem-bench leaderboard`.", "",
             coverage_line(coverage),
             f"A model is ranked on a task once {size} are done; until then it is listed as in progress with its "
             "coverage only: no means, intervals or ranks.", cells_caption(table), ""]
    for task in sorted(set(table["task"] if len(table) else []) | {p.task for p in coverage.pairs}):
        rows = table[table["task"] == task] if len(table) else table
        parts += [f"## {task}", "", _table(rows, with_task=False) if len(rows) else f"No model is complete on {task} yet.", ""]
        pending = [p for p in coverage.pairs if p.task == task and (p.model, p.task) not in ranked]
        if pending:
            parts += [f"### {task}: in progress (not ranked)", "", progress_table(pending), ""]
    multi = table[table["multi_task"]] if len(table) else table
    if len(multi):
        parts += ["## multi-task", "", _table(multi, with_task=True), ""]
    if len(table):
        parts += _agreement_section(results_dir, name)
    parts += coverage_section(coverage)
    parts += ["## How to cite", "", _citation(Path.cwd(), suite_id, protocol), ""]
    return "\n".join(parts)
