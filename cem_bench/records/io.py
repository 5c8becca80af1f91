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


def write_result(record: dict[str, Any], path: str | Path, schema: str = "result", compact: bool = False) -> Path:
    """Validate ``record`` as kind ``schema`` and write it atomically: indented for reading, or ``compact``
    (no whitespace: the runner's unit records, committed by the thousand for the standard suite)."""
    validate_result(record, schema)
    path = Path(path)
    text = json.dumps(record, separators=(",", ":"), allow_nan=False) if compact else json.dumps(record, indent=1, allow_nan=False)
    atomic_write_bytes(path, (text + "\n").encode())
    return path


def read_result(path: str | Path, schema: str = "result") -> dict[str, Any]:
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise CemBenchError(f"cannot read result {path}: {error}") from None
    validate_result(record, schema)
    return record


def ce_array(ce: list[list[float | None]]) -> np.ndarray:
    """A stored block map as floats, null (ROI blocks) -> NaN.

    >>> ce_array([[None, 1.5]]).tolist()
    [[nan, 1.5]]
    """
    return np.array([[np.nan if v is None else float(v) for v in row] for row in ce], dtype=np.float64)


def result_files(results_dir: str | Path, suite: str) -> list[Path]:
    """``<results>/<suite>/<task>/<model>.json`` files, sorted (unit caches are skipped)."""
    folder = Path(results_dir) / suite
    return sorted(path for path in folder.glob("*/*.json") if not path.parent.name.startswith("."))
