"""Is what is committed what the code produces? CI's regeneration and staleness checks.

* ``compare_records`` — two result records agree when every field is equal, except the volatile ones
  (:data:`VOLATILE`: wall times, environment, creation time) which are skipped, and numbers, which may
  differ by ``ABS_TOL + REL_TOL * |expected|``; integers on both sides (block counts, samples,
  forwards), booleans, strings and nulls compare exactly. On the same CPU build reruns are bit-identical (docs/protocol.md);
  the tolerance absorbs last-bit differences of floating-point sums between CPU types.
* ``stale_files`` — the committed reports must be exactly what ``cem-bench leaderboard`` / ``report``
  render from the committed results, and ``summary.json`` what ``cem-bench aggregate`` writes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

VOLATILE = frozenset({"seconds", "timings", "environment", "created"})
ABS_TOL = 1e-3  # dB (maps, PSNR) and metric units: far below any difference the leaderboard reports
REL_TOL = 1e-4
MAX_LISTED = 10


def _close(expected: float, actual: float) -> bool:
    return math.isclose(actual, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def compare_records(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Differences between two JSON trees (``where`` prefixes each path), volatile keys skipped.

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


def compare_trees(committed: Path, regenerated: Path, pattern: str = "*/*.json",
                  unscored: frozenset[str] = frozenset()) -> list[str]:
    """Differences between the result files under two suite folders (missing/extra files included).

    ``unscored`` names models that could not be rescored here (no weights): their committed files are
    not expected among the regenerated ones.
    """
    def files(root: Path) -> dict[str, Path]:
        return {str(p.relative_to(root)): p for p in root.glob(pattern) if not p.parent.name.startswith(".")}

    old, new = files(committed), files(regenerated)
    old = {name: path for name, path in old.items() if name in new or Path(name).stem not in unscored}
    problems = [f"{name}: not regenerated" for name in sorted(set(old) - set(new))]
    problems += [f"{name}: regenerated but not committed" for name in sorted(set(new) - set(old))]
    for name in sorted(set(old) & set(new)):
        found = compare_records(json.loads(old[name].read_text()), json.loads(new[name].read_text()))
        problems += [f"{name}: {problem}" for problem in found]
    return problems


def stale_files(expected: dict[Path, Callable[[], str]]) -> list[str]:
    """Each committed file that differs from what its renderer produces now (byte for byte)."""
    problems = []
    for path, render in expected.items():
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.read_text() != render():
            problems.append(f"{path}: stale (regenerate it from the committed results)")
    return problems


def summarise(problems: list[str], what: str) -> str:
    """One line naming how many problems and the first few."""
    listed = "; ".join(problems[:MAX_LISTED]) + (f"; ... {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else "")
    return f"{len(problems)} {what}: {listed}"
