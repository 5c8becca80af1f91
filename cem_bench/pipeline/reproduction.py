"""What may differ when a committed suite result is rescored on another CPU, and what may not.

A rescored map is not bit-identical across CPU types: float32 kernels sum in another order, the output
is rounded to 8 bits before the PSNR, and a pixel that lands on the other side of a rounding edge moves
the ROI PSNR, and so every CE of that unit, by ~1e-4 dB. Measured (docs/pipeline.md): up to 1.1e-3 dB
between two CI machines; up to 4.7e-4 dB (CE and ROI PSNR alike) with oneDNN/ATen/MKL limited to AVX2 on an
AVX-512 machine. A sum over 50 blocks then moves ~50 times as much, so derived numbers are not
compared across machines at all. The rules:

* **measured** numbers (CE, its standard error, ROI/input PSNR, gain, LAM's DI) agree within
  :data:`MEASURED_TOL` dB: 4x the largest difference seen, half the protocol's 0.01 dB threshold;
* a block may cross the protocol's thresholds (a *threshold flip*): a CE within ``tol + MEASURED_TOL``
  of zero against an exact 0 (zeroed under ``tol``), or fine samples on one side only, where the coarse
  side is 0 by construction. Flips are allowed for at most :data:`MAX_FLIP_FRACTION` of a unit's
  blocks, and counted; sample totals and forwards must differ by exactly what the flips explain;
* **derived** numbers (counts, sums, effect range, radius, DI, negative fraction, PSNR gain, bootstrap
  aggregates) must be exactly what the current code derives from the committed map and units: a
  change to a metric is caught without depending on the CPU. Those rules live in
  :mod:`cem_bench.analysis.consistency`: :func:`compare_result` applies them to the committed side, plain
  ``cem-bench check`` to every committed file alone, the leaderboard those of the aggregates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cem_bench.analysis.consistency import derivation_problems, near
from cem_bench.core.metrics.catalog import MEASURED_METRICS

# How a map was run, not what it is: the accelerations never change a map, and whether a crop agrees
# with the full image (bit-exact 8-bit output) may differ between CPU builds.
VOLATILE = frozenset({"seconds", "timings", "environment", "created", "acceleration"})
ABS_TOL = 1e-3  # anything else (task settings, card numbers): only float formatting may differ
REL_TOL = 1e-4
MEASURED_TOL = 5e-3  # dB
MAX_FLIP_FRACTION = 0.05
MAP_FIELDS = ("ce", "n_samples", "stderr")
SAMPLE_FIELDS = ("forwards", "fine_blocks")


def _close(expected: float, actual: float) -> bool:
    return math.isclose(actual, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def compare_records(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Differences between two JSON trees (``where`` prefixes each path), volatile keys skipped.

    Floats agree within ``max(ABS_TOL, REL_TOL * |x|)``; integers, booleans, strings and nulls exactly.

    >>> compare_records({"a": 1.0, "seconds": 3}, {"a": 1.0000001, "seconds": 9})
    []
    >>> compare_records({"ce": [[0.5, None]]}, {"ce": [[0.7, None]]})
    ['ce[0][0]: 0.5 != 0.7']
    """
    if isinstance(expected, dict) and isinstance(actual, dict):
        problems = []
        for key in sorted(set(expected) | set(actual)):
            if key in VOLATILE:
                continue
            path = f"{where}.{key}" if where else key
            if key not in actual or key not in expected:
                problems.append(f"{path}: only in {'committed' if key in expected else 'regenerated'}")
                continue
            problems += compare_records(expected[key], actual[key], path)
        return problems
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: length {len(expected)} != {len(actual)}"]
        return [p for i, (e, a) in enumerate(zip(expected, actual)) for p in compare_records(e, a, f"{where}[{i}]")]
    numbers = (int, float)
    if (isinstance(expected, numbers) and isinstance(actual, numbers)
            and not isinstance(expected, bool) and not isinstance(actual, bool)):
        if isinstance(expected, int) and isinstance(actual, int):
            return [] if expected == actual else [f"{where}: {expected} != {actual}"]
        return [] if _close(float(expected), float(actual)) else [f"{where}: {expected} != {actual}"]
    return [] if expected == actual else [f"{where}: {expected!r} != {actual!r}"]


def _near(a: float | None, b: float | None) -> bool:
    return near(a, b, MEASURED_TOL)


def compare_maps(committed: dict[str, Any], regenerated: dict[str, Any], where: str) -> tuple[list[str], int]:
    """Problems and threshold flips between two units' ``ce``/``n_samples``/``stderr`` maps.

    >>> unit = {"protocol": {"tol": 0.01, "coarse": 3}, "ce": [[0.5, 0.0, None]], "n_samples": [[10, 3, 0]],
    ...         "stderr": [[0.1, 0.0, None]]}
    >>> rerun = {"ce": [[0.502, 0.03, None]], "n_samples": [[10, 10, 0]], "stderr": [[0.1, 0.02, None]]}
    >>> compare_maps(unit, rerun, "u")  # a 2 mdB shift and a block sampled finely on one side only
    ([], 1)
    >>> compare_maps(unit, {**rerun, "ce": [[0.52, 0.03, None]]}, "u")
    (['u.ce[0][0]: 0.5 != 0.52'], 1)
    """
    tol, coarse = committed["protocol"]["tol"], committed["protocol"]["coarse"]
    problems, flips, blocks = [], 0, 0
    shapes = {field: (np.shape(committed[field]), np.shape(regenerated[field])) for field in MAP_FIELDS}
    for field, (old, new) in shapes.items():
        if old != new:
            return [f"{where}.{field}: shape {list(old)} != {list(new)}"], 0
    rows = zip(*(committed[f] for f in MAP_FIELDS), *(regenerated[f] for f in MAP_FIELDS))
    for i, (ce_a, n_a, se_a, ce_b, n_b, se_b) in enumerate(rows):
        for j, (a, na, sa, b, nb, sb) in enumerate(zip(ce_a, n_a, se_a, ce_b, n_b, se_b)):
            blocks += 1
            if na == nb and _near(a, b):
                if not _near(sa, sb):  # undefined (one sample) is null on both sides
                    problems.append(f"{where}.stderr[{i}][{j}]: {sa} != {sb}")
                continue
            zeroing_flip = na == nb and None not in (a, b) and 0.0 in (a, b) and abs(a or b) < tol + MEASURED_TOL
            coarse_side = a if (na or 0) < (nb or 0) else b
            screening_flip = na != nb and None not in (na, nb) and min(na, nb) <= coarse and coarse_side == 0.0
            if zeroing_flip or screening_flip:
                flips += 1
            elif na != nb:
                problems.append(f"{where}.n_samples[{i}][{j}]: {na} != {nb}")
            else:
                problems.append(f"{where}.ce[{i}][{j}]: {a} != {b}")
    if flips > max(1, MAX_FLIP_FRACTION * blocks):
        problems.append(f"{where}: {flips} threshold flips in {blocks} blocks (at most {MAX_FLIP_FRACTION:.0%})")
    return problems, flips


def _sample_totals(unit: dict[str, Any]) -> tuple[int, int]:
    """(forwards - samples, fine_blocks - finely sampled blocks): unchanged by threshold flips."""
    coarse = unit["protocol"]["coarse"]
    counts = [n for row in unit["n_samples"] for n in row if n is not None]
    return unit["forwards"] - sum(counts) - coarse * unit["fine_blocks"], \
        unit["fine_blocks"] - sum(1 for n in counts if n > coarse)


def compare_units(committed: dict[str, Any], regenerated: dict[str, Any], where: str) -> tuple[list[str], int]:
    """Problems and threshold flips between a committed unit and its rescored twin."""
    skip = set(MAP_FIELDS) | set(SAMPLE_FIELDS) | {"metrics", "effect_range"}
    problems = compare_records({k: v for k, v in committed.items() if k not in skip},
                               {k: v for k, v in regenerated.items() if k not in skip}, where)
    for name in MEASURED_METRICS:
        a, b = committed["metrics"].get(name), regenerated["metrics"].get(name)
        if not _near(a, b):
            problems.append(f"{where}.metrics.{name}: {a} != {b}")
    found, flips = compare_maps(committed, regenerated, where)
    if _sample_totals(committed) != _sample_totals(regenerated):
        found.append(f"{where}: forwards {committed['forwards']} != {regenerated['forwards']} "
                     "beyond what the sample counts explain")
    return problems + found, flips


def compare_result(committed: dict[str, Any], regenerated: dict[str, Any]) -> tuple[list[str], int]:
    """Problems and threshold flips between a committed (model, task) result and its regeneration."""
    if not isinstance(committed.get("units"), list) or not isinstance(regenerated.get("units"), list):
        return compare_records(committed, regenerated), 0
    skip = {"units", "aggregates"}
    problems = compare_records({k: v for k, v in committed.items() if k not in skip},
                               {k: v for k, v in regenerated.items() if k not in skip})
    if len(committed["units"]) != len(regenerated["units"]):
        return problems + [f"units: length {len(committed['units'])} != {len(regenerated['units'])}"], 0
    flips = 0
    for index, (old, new) in enumerate(zip(committed["units"], regenerated["units"])):
        found, flipped = compare_units(old, new, f"units[{index}]")
        problems += found
        flips += flipped
    return problems + derivation_problems(committed), flips

