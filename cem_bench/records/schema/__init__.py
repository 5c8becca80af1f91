"""Result records as pydantic models: the one validation system for every JSON file cem-bench writes.

Kinds are the names ``results.validate_result`` took: ``result`` (one CEM map), ``suite_result`` (a
suite's per-(model, task) file), ``lam``, and ``NAME#DEF`` for a definition of ``NAME``'s old ``$defs``
(the runner caches units as ``suite_result#unit``). Every old ``$defs`` name is kept, so old call sites
need no change.

Round trip: ``dump_record(parse_record(d, kind), kind) == d`` for every valid ``d`` (values, types and
which keys are present, nulls included): dumps use ``exclude_unset=True`` and never ``exclude_none``.
"""

from __future__ import annotations

import json
import math
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from cem_bench.records.schema.base import BlockMap, Number, Sha256
from cem_bench.records.schema.cem import CemResult
from cem_bench.records.schema.lam import LamResult
from cem_bench.records.schema.multi import MultiResult
from cem_bench.records.schema.suite import CI, Metrics, SuiteProtocol, SuiteResult, SuiteTask, Unit

KINDS: dict[str, Any] = {
    "result": CemResult,
    "result#sha256": Sha256,
    "result#map": BlockMap,
    "suite_result": SuiteResult,
    "suite_result#unit": Unit,
    "suite_result#metrics": Metrics,
    "suite_result#ci": CI,
    "suite_result#protocol": SuiteProtocol,
    "suite_result#task": SuiteTask,
    "suite_result#sha256": Sha256,
    "suite_result#map": BlockMap,
    "suite_result#number_or_null": Number | None,
    "lam": LamResult,
    "multi_result": MultiResult,
    "lam#sha256": Sha256,
}

# Error types that only say "this union member did not fit": a sibling error on the same path says more.
_MEMBER_MISMATCH = {"int_type", "float_type", "string_type", "bool_type", "list_type", "dict_type", "model_type",
                    "none_required", "literal_error", "is_instance_of"}
_SHOWN_INPUT = 60  # characters of the offending value quoted in a message


@cache
def adapter(kind: str) -> TypeAdapter[Any]:
    """The validator of one record kind (``KeyError`` for an unknown kind: a programming error)."""
    if kind not in KINDS:
        raise KeyError(f"unknown record kind {kind!r} (known: {', '.join(KINDS)})")
    return TypeAdapter(KINDS[kind])


def parse_record(record: Any, kind: str = "result") -> Any:
    """``record`` (parsed JSON) as its model; ``ValueError`` naming a violation (see :func:`validate_record`)."""
    try:
        parsed = adapter(kind).validate_python(record, strict=True)
    except ValidationError as error:
        raise ValueError(f"result does not match schema at {_describe(record, error)}") from None
    where = _non_finite(record)
    if where is not None:  # typed numbers refuse NaN themselves; this catches the untyped keys
        raise ValueError(f"result does not match schema at {'/'.join(where) or '<root>'}: "
                         "NaN and Infinity are not JSON (store null)")
    return parsed


def validate_record(record: Any, kind: str = "result") -> None:
    """Raise ``ValueError("result does not match schema at PATH: MESSAGE")`` if ``record`` is not a valid ``kind``.

    ``PATH`` is ``/``-joined keys and list indices of ``record`` (``<root>`` for the record itself), as
    the old jsonschema-based message gave it: a missing or unexpected key names the object holding it.
    With several violations, the one reported is the one the old validator reported.
    """
    parse_record(record, kind)


def dump_record(value: Any, kind: str = "result") -> Any:
    """A parsed record as JSON data again: absent keys stay absent, nulls stay null."""
    return adapter(kind).dump_python(value, mode="json", exclude_unset=True)


def _non_finite(node: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Path of the first NaN/Infinity anywhere in ``node`` (``write_result`` could never write it)."""
    if not path:  # the C encoder refuses NaN/Infinity ~3x faster than the walk: walk only to name the place
        try:
            json.dumps(node, allow_nan=False)
            return None
        except (ValueError, TypeError):
            pass
    if isinstance(node, float):
        return None if math.isfinite(node) else path
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        found = _non_finite(value, path + (str(key),))
        if found is not None:
            return found
    return None


def _path(record: Any, error: ErrorDetails) -> tuple[int | str, ...]:
    """Where in ``record`` the error is: the keys/indices of its ``loc`` that exist in the data.

    pydantic's ``loc`` also holds the name of the union member tried (``'str'``, ``'none'``,
    ``'function-after[...]'``) and, for a missing key, the key itself: neither is in the data, so
    following the data drops both. A missing or unexpected key names the object holding it, as
    jsonschema's ``required`` / ``additionalProperties`` errors did.
    """
    path: list[int | str] = []
    node = record
    for part in error["loc"]:
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue
        path.append(part)
    if error["type"] == "extra_forbidden" and path:
        path.pop()
    return tuple(path)


def _message(error: ErrorDetails) -> str:
    key = error["loc"][-1] if error["loc"] else None
    if error["type"] == "missing":
        return f"{key!r} is a required property"
    if error["type"] == "extra_forbidden":
        return f"Additional properties are not allowed ({key!r} was unexpected)"
    if error["type"] == "model_type":  # not "... instance of SuiteResult": class names mean nothing in a file
        error = {**error, "msg": "Input should be an object"}
    shown = repr(error["input"])
    if len(shown) > _SHOWN_INPUT:
        shown = shown[:_SHOWN_INPUT - 3] + "..."
    return f"{error['msg']} (got {shown})"


def _describe(record: Any, error: ValidationError) -> str:
    """``PATH: MESSAGE`` of the violation to report, on one line.

    With several violations, the one the old validator named (jsonschema's ``best_match``): the
    shallowest path, and among paths equally deep the greatest one (``units`` over ``aggregates``).
    """
    errors = error.errors(include_url=False)
    paths = [_path(record, item) for item in errors]
    depth = min(map(len, paths))
    where = max(path for path in paths if len(path) == depth)  # same container at the first difference
    same_place = [item for item, path in zip(errors, paths, strict=False) if path == where]
    chosen = next((item for item in same_place if item["type"] not in _MEMBER_MISMATCH), None)
    if chosen is not None or len(same_place) == 1:
        message = _message(chosen or same_place[0])
    else:  # no union member fitted the value's type: list them all ("a valid number or None")
        wanted = dict.fromkeys(item["msg"].removeprefix("Input should be ") for item in same_place)
        if "a valid number" in wanted:
            wanted.pop("a valid integer", None)  # Number is int | float inside; in JSON it is one type
        message = _message({**same_place[0], "msg": "Input should be " + " or ".join(wanted)})
    return f"{'/'.join(map(str, where)) or '<root>'}: {' '.join(message.split())}"  # one line, whatever the value


__all__ = ["KINDS", "adapter", "dump_record", "parse_record", "validate_record"]
