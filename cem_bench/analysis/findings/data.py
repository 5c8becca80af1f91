"""A suite's result files as one table of (image, ROI) units: the input of every finding.

One row per unit of every ``results/<suite>/<task>/<model>.json``: task label and name, model name,
flags (``analytic``, ``multi_task``), the unit's image and ROI (``unit``: the pairing key), every
per-unit metric, ``nonzero`` = positive + negative blocks, the significant-block metrics computed here from
the stored CE, standard-error and sample maps (:data:`cem_bench.analysis.significance.COLUMNS`: nothing new is
stored, so committed results need no rescoring), and the block map ``ce`` (NaN in ROI blocks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cem_bench.analysis.significance import COLUMNS as SIGNIFICANCE
from cem_bench.analysis.significance import map_significance
from cem_bench.core.geometry import ROI
from cem_bench.core.metrics.catalog import METRICS
from cem_bench.records.io import ce_array, read_result, result_files, unit_grid

# Columns of the unit table besides the metrics (kept in this order for a stable frame).
BASE_COLUMNS = ("task", "task_name", "model", "analytic", "multi_task", "params", "image", "roi", "unit",
                "order", "source", "crop", "size", "block", "protocol", "created")


def unit_key(image: str, roi: dict[str, Any]) -> str:
    """The pairing key of a unit: its image id and ROI.

    >>> unit_key("coffee", {"x": 24, "y": 24, "size": 16})
    'coffee@24,24,16'
    """
    return f"{image}@{roi['x']},{roi['y']},{roi['size']}"


def _rows(path: Path, order: int) -> list[dict[str, Any]]:
    record = read_result(path, schema="suite_result")
    model = record["model"]
    rows = []
    for index, unit in enumerate(record["units"]):
        metrics = {name: unit["metrics"].get(name) for name in METRICS}
        row = {"task": path.parent.name, "task_name": record["task"]["name"], "model": model["name"],
               "analytic": bool(model["analytic"]), "multi_task": bool(model["multi_task"]),
               "params": model["params"], "image": unit["image"]["id"],
               "roi": (unit["roi"]["x"], unit["roi"]["y"], unit["roi"]["size"]),
               "unit": unit_key(unit["image"]["id"], unit["roi"]), "order": order * 10_000 + index,
               "source": unit["image"]["source"], "crop": unit["image"]["crop"], "size": tuple(unit["image"]["size"]),
               "block": unit["grid"]["block"], "protocol": record["protocol"]["id"],
               "created": record["environment"]["created"]}
        row.update({name: np.nan if value is None else float(value) for name, value in metrics.items()})
        row["nonzero"] = row["positive"] + row["negative"]
        row["ce"] = ce_array(unit["ce"])
        row.update(_significance(unit, row["ce"]))
        rows.append(row)
    return rows


def _significance(unit: dict[str, Any], ce: np.ndarray) -> dict[str, float]:
    block_grid = unit_grid(unit)
    stderr = ce_array(unit["stderr"])  # same encoding: null where a block has no error
    return map_significance(ce, stderr, np.asarray(unit["n_samples"], dtype=np.int64), ROI(**unit["roi"]), block_grid)


def load_units(results_dir: str | Path, suite: str) -> pd.DataFrame:
    """Every unit of a suite's result files (an empty frame with the right columns when there are none)."""
    rows = [row for order, path in enumerate(result_files(results_dir, suite)) for row in _rows(path, order)]
    columns = [*BASE_COLUMNS, *METRICS, "nonzero", *SIGNIFICANCE, "ce"]
    return pd.DataFrame(rows, columns=columns)


def trained(units: pd.DataFrame) -> pd.DataFrame:
    """Units of trained models only: analytic operators (identity, bicubic, box blur…) are left out."""
    return units[~units["analytic"].astype(bool)]


def select(units: pd.DataFrame, model: str, task: str) -> pd.DataFrame:
    """The units of one (model, task label)."""
    return units[(units["model"] == model) & (units["task"] == task)]


def newest_date(units: pd.DataFrame) -> str:
    """The day the newest result was assembled (``YYYY-MM-DD``): the report's date, stable for fixed results."""
    return max(units["created"])[:10] if len(units) else "–"
