"""The record models vs the JSON Schema documents generated from them, on systematically mutated records.

Every key and value of an example record is mutated in turn (key dropped, unexpected key added, value
replaced by null / another JSON type / out-of-range numbers / odd strings / shorter and longer arrays);
each mutant goes through the shipped (generated) schema with jsonschema and through the models: a tool
that reads results without Python must accept and reject what cem-bench itself does.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from cem_bench.records.schema import dump_record, parse_record
from cem_bench.records.schema.generate import fragment, generate

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"  # the committed results/
FIXTURES = HERE / "fixtures" / "records"  # real `result` / `lam` records of `cem-bench score` / `lam`

Path_ = tuple[str | int, ...]
MISSING = object()


def canonical(value: Any) -> str:
    """Byte-exact comparison key: 1 vs 1.0 vs true differ, key order does not."""
    return json.dumps(value, sort_keys=True, allow_nan=True)


def _validator(document: dict[str, Any], kind: str) -> Draft202012Validator:
    _, _, name = kind.partition("#")
    return Draft202012Validator(fragment(document, name) if name else document)


def generated_validator(kind: str) -> Draft202012Validator:
    return _validator(generate(kind.partition("#")[0]), kind)


def jsonschema_verdict(validator: Draft202012Validator, record: Any) -> str | None:
    """None if valid, else the error path as results.validate_result printed it (same best_match choice)."""
    error = best_match(validator.iter_errors(record))
    if error is None:
        return None
    return "/".join(map(str, error.absolute_path)) or "<root>"


def model_verdict(record: Any, kind: str) -> str | None:
    try:
        parse_record(record, kind)
    except ValueError as error:
        return str(error).removeprefix("result does not match schema at ").split(": ", 1)[0]
    return None


# --- mutants ---------------------------------------------------------------------------------------------

def replaced(record: Any, path: Path_, value: Any) -> Any:
    """``record`` with the node at ``path`` set to ``value`` (``MISSING``: key removed); copies the path only."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = list(record) if isinstance(record, list) else dict(record)
    new = replaced(record[head], rest, value)
    if new is MISSING:
        del copy[head]
    else:
        copy[head] = new
    return copy


def nodes(record: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """Every dict entry, and the first item of every list (the rest repeat its shape).

    A null in a map is still reached: the ``type:null`` replacement of its first cell.
    """
    yield path, record
    if isinstance(record, dict):
        for key, value in record.items():
            yield from nodes(value, path + (key,))
    elif isinstance(record, list) and record:
        yield from nodes(record[0], path + (0,))


def replacements(value: Any) -> Iterator[tuple[str, Any]]:
    """Named replacement values for one node: other JSON types, then edge cases of its own type."""
    others = {"null": None, "string": "x", "integer": 7, "number": 0.5, "boolean": True, "array": [], "object": {}}
    own = {type(None): "null", str: "string", int: "integer", float: "number", bool: "boolean",
           list: "array", dict: "object"}[type(value)]
    for name, other in others.items():
        if name != own:
            yield f"type:{name}", other
    if isinstance(value, bool):
        yield "bool:flip", not value
    elif isinstance(value, (int, float)):
        for name, number in [("num:-1", -1), ("num:-0.5", -0.5), ("num:0", 0), ("num:1.5", 1.5), ("num:101", 101),
                             ("num:1e9", 10**9), ("num:nan", math.nan), ("num:inf", math.inf)]:
            yield name, number
        if isinstance(value, int):
            yield "num:integral-float", float(value)
    elif isinstance(value, str):
        yield "str:empty", ""
        yield "str:newline", value + "\n"
        yield "str:upper", value.upper()
        yield "str:short", value[:-1]
        yield "str:enum", "zz"
    elif isinstance(value, list) and value:
        yield "list:drop", value[:-1]
        yield "list:repeat", value + [value[-1]]


def mutants(record: Any) -> Iterator[tuple[str, Path_, Any]]:
    """(mutation name, path, mutant) for every node of ``record``."""
    for path, value in nodes(record):
        if path and isinstance(path[-1], str):
            yield "key:drop", path, replaced(record, path, MISSING)
        if isinstance(value, dict):
            yield "key:extra", path, replaced(record, path, {**value, "zz_extra": 0})
        for name, other in replacements(value):
            yield name, path, replaced(record, path, other)


# --- comparison -------------------------------------------------------------------------------------------

# Disagreements that are chosen, not accidents (REPORT.md): the models refuse NaN/Infinity (not JSON,
# never written), and "$" in a pattern no longer matches before a final newline.
EXPECTED = {"num:nan", "num:inf", "str:newline"}


@dataclass
class Tally:
    total: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # both accept / both reject / one side only
    path_mismatches: list[str] = field(default_factory=list)  # both reject, at different paths
    unexpected: list[str] = field(default_factory=list)  # schema and models disagree, not in EXPECTED
    expected: Counter[str] = field(default_factory=Counter)
    roundtrip_failures: list[str] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        self.total += other.total
        self.outcomes.update(other.outcomes)
        self.expected.update(other.expected)
        for name in ("path_mismatches", "unexpected", "roundtrip_failures"):
            getattr(self, name).extend(getattr(other, name))


def compare(record: Any, kind: str, label: str) -> Tally:
    """Run every mutant of ``record`` through the generated schema and the models."""
    schema = generated_validator(kind)
    tally = Tally()
    for name, path, mutant in mutants(record):
        where = f"{label} {kind} {'/'.join(map(str, path)) or '<root>'} {name}"
        tally.total += 1
        by_schema, by_models = jsonschema_verdict(schema, mutant), model_verdict(mutant, kind)
        if by_schema is None and by_models is None:
            tally.outcomes["both accept"] += 1
            dumped = dump_record(parse_record(mutant, kind), kind)
            # 1.0 where an integer belongs is valid JSON Schema and comes back as 1 (equal, not identical)
            same = dumped == mutant if name == "num:integral-float" else canonical(dumped) == canonical(mutant)
            if not same:
                tally.roundtrip_failures.append(where)
        elif by_schema is not None and by_models is not None:
            tally.outcomes["both reject"] += 1
            if by_schema != by_models:
                tally.path_mismatches.append(f"{where}: schema at {by_schema}, models at {by_models}")
        else:
            tally.outcomes["schema rejects only" if by_models is None else "models reject only"] += 1
            if name in EXPECTED:
                tally.expected[name] += 1
            else:
                tally.unexpected.append(f"{where}: schema {by_schema!r}, models {by_models!r}")
    return tally


def _small(record: dict[str, Any]) -> dict[str, Any]:
    """Maps cut to their top-left 2x2 (no schema ties their shape to the grid): the same checks, 10x faster."""
    for key in ("ce", "stderr", "n_samples", "attribution"):
        if key in record:
            record[key] = [row[:2] for row in record[key][:2]]
    return record


def examples() -> list[tuple[str, str, Any]]:
    """(label, kind, record) pairs mutated: two committed suite files (one unit each) and the fixtures.

    zoo-sr-rcan-ca has weights and LAM DIs; dn-s50/identity has the nulls (no weights, undefined metrics).
    """
    examples: list[tuple[str, str, Any]] = []
    for name in ("sr-x4/zoo-sr-rcan-ca.json", "dn-s50/identity.json"):
        record = json.loads((RESULTS / "quick" / name).read_text())
        record["units"] = [_small(record["units"][0])]  # units repeat one shape; keeps the run short
        examples.append((name, "suite_result", record))
        examples.append((name, "suite_result#unit", record["units"][0]))
    for path in sorted(FIXTURES.glob("*.json")):
        kind = "lam" if path.name.startswith("lam") else "result"
        examples.append((path.name, kind, _small(json.loads(path.read_text()))))
    examples.append(("unit with how it ran", "suite_result#unit", unit_as_run_now()))
    return examples


def unit_as_run_now() -> dict[str, Any]:
    """A committed unit with what the runner records since: the accelerations that ran and the backend."""
    unit = _small(json.loads((RESULTS / "quick" / "dn-s50" / "identity.json").read_text())["units"][0])
    accelerated = json.loads((FIXTURES / "result_dn_accelerated.json").read_text())["acceleration"]
    unit["acceleration"] = {**accelerated, "screen_ran": True, "crop_ran": True}
    unit["environment"] = {**unit["environment"],
                           "backend": {"requested": "torch", "used": "torch", "fallbacks": []}}
    return unit


def run() -> tuple[Tally, dict[str, Tally]]:
    overall, by_kind = Tally(), {}
    for label, kind, record in examples():
        tally = compare(record, kind, label)
        by_kind.setdefault(kind, Tally()).merge(tally)
        overall.merge(tally)
    return overall, by_kind
