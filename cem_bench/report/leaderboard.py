"""Markdown leaderboards (GitHub tables via tabulate) from a suite's result files, and a model's rank.

One table per task label (``sr-x2``, ``sr-x4``, ``dn-s50``, ``dr``) plus a ``multi-task`` table
listing every model trained for several tasks on each of them. Rows are sorted by ROI PSNR gain
(higher first); every aggregate is printed as ``mean [low, high]``, the suite's bootstrap CI. A file
that contradicts itself (aggregates that do not follow from its units, unit metrics that do not follow
from its maps) is refused: :mod:`cem_bench.analysis.consistency`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from tabulate import tabulate

from cem_bench.analysis.agreement import CAPTION as AGREEMENT_CAPTION
from cem_bench.analysis.agreement import HEADERS as AGREEMENT_HEADERS
from cem_bench.analysis.agreement import agreement_rows
from cem_bench.analysis.consistency import require_consistent
from cem_bench.core.errors import CemBenchError
from cem_bench.core.metrics.catalog import LEADERBOARD_COLUMNS
from cem_bench.core.version import __version__
from cem_bench.records.io import read_result, result_files

SORT_KEY = "psnr_gain"


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
               "units": len(record["units"]), "created": record["environment"]["created"]}
        missing = {"mean": None, "low": None, "high": None, "n": 0}  # results written before a metric existed
        row.update({name: record["aggregates"].get(name, missing) for name in (column.name for column in LEADERBOARD_COLUMNS)})
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
    if aggregate["mean"] is None:
        return "–"
    mean, low, high = (f"{aggregate[k]:.{decimals}f}" for k in ("mean", "low", "high"))
    return mean if low == high == mean else f"{mean} [{low}, {high}]"


def _table(rows: pd.DataFrame, with_task: bool) -> str:
    rows = rows.assign(order=rows[SORT_KEY].map(lambda cell: -(cell["mean"] or 0.0)))
    rows = rows.sort_values(["task", "order", "model"] if with_task else ["order", "model"])
    headers = (["task"] if with_task else []) + ["model", "params"] + [column.header for column in LEADERBOARD_COLUMNS]
    body = [([row.task] if with_task else []) + [row.model, "–" if pd.isna(row.params) else f"{int(row.params):,}"]
            + [_cell(getattr(row, column.name), column.decimals) for column in LEADERBOARD_COLUMNS] for row in rows.itertuples()]
    return tabulate(body, headers=headers, tablefmt="github", disable_numparse=True)


def _citation(root: Path) -> str:
    cff = root / "CITATION.cff"
    where = "CITATION.cff in the repository" if cff.is_file() else "CITATION.cff of cem-bench"
    return ("```\nHu et al., Interpreting Low-level Vision Models with Causal Effect Maps, IEEE TPAMI 2025, "
            f"doi:10.1109/TPAMI.2025.3557149\ncem-bench {__version__} (see {where})\n```")


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


def render(results_dir: str | Path, suite: Any, date: str | None = None) -> str:
    """The leaderboard Markdown of one suite.

    ``date`` defaults to the day the newest result was assembled, so the same results always render
    the same file (a CI staleness check can compare it byte for byte).
    """
    table = load_table(results_dir, suite)
    name = _suite_name(suite)
    if not len(table):
        raise CemBenchError(f"no results for suite {name} under {results_dir}; run `cem-bench run --suite {name}`")
    protocols = ", ".join(f"`{pid}`" for pid in sorted(set(table["protocol"])))
    date = date or max(table["created"])[:10]
    parts = [f"# cem-bench leaderboard — suite `{name}`", "",
             f"Protocol {protocols}; cem-bench {__version__}; generated {date} by `cem-bench leaderboard`.",
             "Cells are `mean [low, high]`: the mean over (image, ROI) units and its 95% percentile-bootstrap CI. "
             "Rows are sorted by gain (ROI PSNR over the degraded input); every column can be re-sorted by "
             "reading the result files (`results/<suite>/<task>/<model>.json`). Columns: docs/pipeline.md.", ""]
    for task in sorted(set(table["task"])):
        parts += [f"## {task}", "", _table(table[table["task"] == task], with_task=False), ""]
    multi = table[table["multi_task"]]
    if len(multi):
        parts += ["## multi-task", "", _table(multi, with_task=True), ""]
    parts += _agreement_section(results_dir, suite)
    parts += ["## How to cite", "", _citation(Path.cwd()), ""]
    return "\n".join(parts)
