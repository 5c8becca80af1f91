"""Result files: validate a record (:mod:`cem_bench.records.schema`), write it atomically, read it back."""

from __future__ import annotations

import json
import math
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from cem_bench.core.errors import CemBenchError
from cem_bench.core.files import atomic_write_bytes
from cem_bench.core.geometry import BlockGrid
from cem_bench.core.parsing import parse_json
from cem_bench.records.schema import validate_record

SCHEMA_VERSION = 1  # single results (CEM, LAM, multi-task)
SUITE_SCHEMA_VERSION = 2  # suite results: 2 since their intervals resample images (records/schema/suite.py)


def validate_result(record: dict[str, Any], schema: str = "result") -> None:
    """Raise :class:`CemBenchError` naming the first violation of record kind ``schema`` (``result``,
    ``suite_result``, ``suite_result#unit`` or ``lam``; the models are :mod:`cem_bench.records.schema`)."""
    try:
        validate_record(record, schema)
    except ValueError as error:
        raise CemBenchError(str(error)) from None


def map_to_json(values: np.ndarray, digits: int = 6) -> list[list[float | None]]:
    """A 2-D array as nested lists, NaN -> null, floats rounded to ``digits``."""
    return [[None if math.isnan(v) else round(float(v), digits) for v in row] for row in values]


@lru_cache(maxsize=1)
def git_revision() -> dict[str, Any]:
    """The checkout's commit and whether it had local changes (``None`` outside a git checkout)."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                    capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": dirty}


def readable_json(value: Any, depth: int = 0) -> str:
    """``json.dumps(value, indent=1)``, except that a list of numbers, strings or nulls stays on one line:
    a block map is one line per row instead of one per value (half the bytes of a suite result).

    >>> print(readable_json({"ce": [[0.5, None], [1, 2]], "n": 3}))
    {
     "ce": [
      [0.5, null],
      [1, 2]
     ],
     "n": 3
    }
    """
    if isinstance(value, list) and not any(isinstance(item, (dict, list)) for item in value):
        return json.dumps(value, allow_nan=False)
    if isinstance(value, (dict, list)) and value:
        inner, outer = "\n" + " " * (depth + 1), "\n" + " " * depth
        if isinstance(value, dict):
            items = [f"{json.dumps(str(key))}: {readable_json(item, depth + 1)}" for key, item in value.items()]
            return "{" + inner + ("," + inner).join(items) + outer + "}"
        return "[" + inner + ("," + inner).join(readable_json(item, depth + 1) for item in value) + outer + "]"
    return json.dumps(value, allow_nan=False)


RESULT_FILE = "result.json"  # the record's name in a score, lam or demo output folder


def as_read(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` exactly as writing and reading it back returns it (tuples become lists; a NaN refused),
    so a fresh record compares equal to a stored one.

    >>> as_read({"roi": (1, 2)})
    {'roi': [1, 2]}
    """
    return json.loads(json.dumps(record, allow_nan=False))


def write_result(record: dict[str, Any], path: str | Path, schema: str = "result", compact: bool = False) -> Path:
    """Validate ``record`` as kind ``schema`` and write it atomically: indented for reading
    (:func:`readable_json`), or ``compact`` (no whitespace: the runner's unit records, committed by the
    thousand for the standard suite)."""
    validate_result(record, schema)
    path = Path(path)
    text = json.dumps(record, separators=(",", ":"), allow_nan=False) if compact else readable_json(record)
    atomic_write_bytes(path, (text + "\n").encode())
    return path


def read_result(path: str | Path, schema: str = "result") -> dict[str, Any]:
    try:
        record = parse_json(Path(path).read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise CemBenchError(f"result {path} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except (OSError, ValueError) as error:  # a JSONDecodeError or NestedTooDeeply
        raise CemBenchError(f"cannot read result {path}: {error}") from None
    validate_result(record, schema)
    return record


def ce_array(ce: list[list[float | None]]) -> np.ndarray:
    """A stored block map as floats, null (ROI blocks) -> NaN.

    >>> ce_array([[None, 1.5]]).tolist()
    [[nan, 1.5]]
    """
    return np.array([[np.nan if v is None else float(v) for v in row] for row in ce], dtype=np.float64)


def unit_grid(unit: dict[str, Any]) -> BlockGrid:
    """The block grid a unit record's map lies on (its output image's size, block and input block).

    >>> unit_grid({"grid": {"block": 8, "in_block": 2}, "image": {"size": [64, 48]}})
    BlockGrid(height=48, width=64, block=8, scale=4)
    """
    grid, (width, height) = unit["grid"], unit["image"]["size"]
    return BlockGrid(height, width, grid["block"], grid["block"] // grid["in_block"])


def result_files(results_dir: str | Path, suite: str) -> list[Path]:
    """``<results>/<suite>/<task>/<model>.json`` files, sorted (unit caches are skipped)."""
    folder = Path(results_dir) / suite
    return sorted(path for path in folder.glob("*/*.json") if not path.parent.name.startswith("."))
