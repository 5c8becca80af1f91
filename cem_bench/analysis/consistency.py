"""Does a suite result follow from itself? Its derived numbers, re-derived from its own maps and units.

A result file holds *measured* numbers (each block's CE and standard error, a unit's ROI and input PSNR,
LAM's DI: only a rescoring can check those, ``cem-bench check --regenerate``) and numbers *derived* from
them by the current code:

* a unit's counts, sums, effect range, negative fraction, causal radius and DI follow from its CE map
  (:func:`cem_bench.core.metrics.map_metrics`), its ``effect_range`` record from the same map;
* its PSNR gain is its ROI PSNR minus its input PSNR;
* the file's aggregates follow from its units by its own seeded bootstrap over images
  (:func:`cem_bench.analysis.bootstrap.aggregate_units`): mean, interval, counts and reason of every
  metric, under the current minimum number of images.

These must be exactly what the code derives; only the rounding of stored numbers to 6 decimals may
differ (:data:`ROUNDING_TOL`). So an edited CE, metric, mean, CI bound or count, or a dropped unit, is
caught without rescoring. Not caught: measured numbers edited and everything derived from them edited to
match; that needs the rescoring.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cem_bench.analysis.bootstrap import UNDEFINED, aggregate_units
from cem_bench.analysis.cluster import MIN_IMAGES
from cem_bench.core.errors import CemBenchError
from cem_bench.core.geometry import ROI
from cem_bench.core.metrics import effect_range, map_metrics
from cem_bench.core.metrics.catalog import METRICS, stored_metric
from cem_bench.records.io import ce_array, unit_grid

ROUNDING_TOL = 2e-6  # stored numbers have 6 decimals; a difference of two of them may move by 2 units
AGGREGATE_KEYS = ("mean", "low", "high", "n_units", "n_images", "reason")
EXACT_KEYS = ("n_units", "n_images", "reason")
# A hostile file could ask for a bootstrap of any size: re-deriving it draws resamples x images indices
# (int64). The suites draw ~1e4-1e5; refuse far beyond that instead of exhausting memory.
MAX_BOOTSTRAP_DRAWS = 20_000_000


def too_many_draws(resamples: int, units: list[dict[str, Any]]) -> str | None:
    """Why re-deriving a bootstrap of ``resamples`` over these units' images is refused, or None.

    >>> too_many_draws(10**9, [{"image": {"id": "a"}}])
    '1000000000 resamples of 1 images are beyond 20,000,000 draws'
    """
    images = len({unit["image"]["id"] for unit in units})
    if resamples * images > MAX_BOOTSTRAP_DRAWS:
        return f"{resamples} resamples of {images} images are beyond {MAX_BOOTSTRAP_DRAWS:,} draws"
    return None


def near(a: float | None, b: float | None, tol: float) -> bool:
    """Both undefined (None), or both numbers within ``tol``.

    >>> near(1.0, 1.0 + 1e-6, ROUNDING_TOL), near(None, 0.0, ROUNDING_TOL), near(None, None, 0.0)
    (True, False, True)
    """
    if a is None or b is None:
        return a is b
    return abs(a - b) <= tol


def _map_problems(unit: dict[str, Any], at: str) -> list[str]:
    """Metrics and effect range of one unit that differ from what its CE map gives."""
    grid = unit["grid"]
    try:
        block_grid = unit_grid(unit)
        shape = (block_grid.rows, block_grid.cols)
        if (grid["rows"], grid["cols"]) != shape or any(len(row) != shape[1] for row in unit["ce"]) \
                or len(unit["ce"]) != shape[0]:
            return [f"{at}.ce: shape {list(np.shape(unit['ce']))} does not fit the grid {list(shape)} of its image"]
        ce = ce_array(unit["ce"])
        derived = map_metrics(ce, ROI(**unit["roi"]), block_grid)
        again = effect_range(ce)
    except (CemBenchError, TypeError, ValueError, ZeroDivisionError) as error:  # a malformed grid or ROI
        return [f"{at}: its map cannot be re-derived ({error})"]
    problems = []
    for name, value in derived.items():
        value = stored_metric(value)
        if not near(unit["metrics"].get(name), value, ROUNDING_TOL):
            problems.append(f"{at}.metrics.{name}: committed {unit['metrics'].get(name)}, derived {value}")
    stored = unit["effect_range"]
    if not (all(_number_near(stored.get(k), again[k]) for k in ("range", "max", "min"))
            and _points_at(ce, stored.get("argmax"), again["max"]) and _points_at(ce, stored.get("argmin"), again["min"])):
        problems.append(f"{at}.effect_range: committed {stored}, derived {again}")
    return problems


def _number_near(stored: Any, derived: float) -> bool:
    return isinstance(stored, (int, float)) and not isinstance(stored, bool) and near(stored, derived, ROUNDING_TOL)


def _points_at(ce: np.ndarray, index: Any, extreme: float) -> bool:
    """``index`` is ``[row, col]`` of a block holding ``extreme`` (None: the map has no block outside the ROI).

    Any such block passes: the stored map is rounded, so blocks that differed in the 7th decimal may tie.
    """
    if index is None:
        return bool(np.isnan(ce).all())
    if not (isinstance(index, list) and len(index) == 2 and all(type(i) is int and i >= 0 for i in index)):
        return False
    row, col = index
    return row < ce.shape[0] and col < ce.shape[1] and _number_near(float(ce[row, col]), extreme)


def _gain_problem(metrics: dict[str, Any], at: str) -> list[str]:
    """The PSNR gain must be the ROI PSNR minus the input PSNR (each rounded to 6 decimals)."""
    roi, baseline, gain = metrics.get("psnr_roi"), metrics.get("psnr_input"), metrics.get("psnr_gain")
    expected = None if roi is None or baseline is None else stored_metric(roi - baseline)
    if near(gain, expected, ROUNDING_TOL):
        return []
    return [f"{at}.metrics.psnr_gain: committed {gain}, but psnr_roi {roi} - psnr_input {baseline} = {expected}"]


def unit_problems(unit: dict[str, Any], at: str) -> list[str]:
    """Derived numbers of one unit record that differ from what its map and PSNRs give."""
    return _map_problems(unit, at) + _gain_problem(unit["metrics"], at)


def aggregate_problems(record: dict[str, Any], where: str = "") -> list[str]:
    """Aggregates of a result that differ from its units' bootstrap (a metric absent from old files may
    stay absent only where no unit defines it)."""
    prefix = f"{where}." if where else ""
    boot, units = record["bootstrap"], record["units"]
    refused = too_many_draws(boot["resamples"], units)
    if refused:
        return [f"{prefix}bootstrap.resamples: {refused}; its aggregates were not re-derived"]
    problems = []
    if boot["min_images"] != MIN_IMAGES:  # the rule is the code's, not the file's
        problems.append(f"{prefix}bootstrap.min_images: committed {boot['min_images']}, the rule is {MIN_IMAGES}")
    derived = aggregate_units(units, boot["resamples"], boot["seed"], boot["level"])
    stored = record["aggregates"]
    problems += [f"{prefix}aggregates.{name}: not a metric" for name in sorted(set(stored) - set(METRICS))]
    for name in METRICS:
        if name not in stored:
            if derived[name] != UNDEFINED:
                problems.append(f"{prefix}aggregates.{name}: absent, derived {derived[name]}")
            continue
        for key in AGGREGATE_KEYS:
            same = stored[name][key] == derived[name][key] if key in EXACT_KEYS \
                else near(stored[name][key], derived[name][key], ROUNDING_TOL)
            if not same:
                problems.append(f"{prefix}aggregates.{name}.{key}: committed {stored[name][key]}, "
                                f"derived {derived[name][key]}")
    return problems


def units_problems(record: dict[str, Any], where: str = "") -> list[str]:
    """Derived numbers of a result's units that do not follow from their maps and PSNRs (its aggregates
    are not looked at)."""
    prefix = f"{where}." if where else ""
    return [p for index, unit in enumerate(record["units"]) for p in unit_problems(unit, f"{prefix}units[{index}]")]


def derivation_problems(record: dict[str, Any], where: str = "") -> list[str]:
    """Every derived number of a (schema-valid) suite result that does not follow from its maps and units,
    one ``path: committed X, derived Y`` line each (``where`` prefixes the paths)."""
    return units_problems(record, where) + aggregate_problems(record, where)


def require_consistent(record: dict[str, Any], source: str, aggregates: bool = True) -> None:
    """Raise a one-line :class:`CemBenchError` when ``record`` (read from ``source``) contradicts itself:
    a leaderboard or summary must not print numbers that its own file's maps and units do not give.
    ``aggregates=False`` checks the units only (for aggregates the caller has just derived from them)."""
    units = units_problems(record)
    problems = units + aggregate_problems(record) if aggregates else units
    if problems:
        more = f" (and {len(problems) - 1} more: `cem-bench check` lists them)" if len(problems) > 1 else ""
        # sound units under stale aggregates (an interval rule changed since the file was written): say the mend
        mend = "; its units are sound: `cem-bench aggregate --rewrite-aggregates` re-derives its aggregates" \
            if not units else ""
        raise CemBenchError(f"{source}: refused, its numbers do not follow from its own maps and units: "
                            f"{problems[0]}{more}{mend}")
