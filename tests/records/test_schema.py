"""Result records have one validation system, the pydantic models of ``cem_bench.records.schema``: they accept
the committed files, round-trip them exactly, name the first violation like the former hand-written JSON
Schemas did, and the shipped schema documents (generated from the models) say the same thing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import record_mutations as mutations
from jsonschema import Draft202012Validator
from record_mutations import FIXTURES, RESULTS, canonical, generated_validator

from cem_bench.records.schema import KINDS, dump_record, parse_record, validate_record
from cem_bench.records.schema.generate import DOCUMENTS, fragment, generate, stale, write_schemas

SHIPPED = Path(__file__).resolve().parents[2] / "cem_bench" / "records" / "schemas"
# Committed JSON that is not a record: what reads or writes it uses no schema (aggregate.build_summary,
# `cem-bench data verify`, and the budgeted runner's kept reach per (model, task): pipeline/reach.py, whose
# reader takes the fields it knows).
NOT_RECORDS = {"summary.json", "datasets.json", ".reach.json"}
# <suite>/<task label>/<model>.json, read as suite_result; <suite>/.units/<key>.json (committed for the
# standard suite, which is computed in budgeted runs) are unit records, read as suite_result#unit.
SUITE_FILES = sorted(p for p in RESULTS.glob("*/*/*.json") if not p.parent.name.startswith("."))
UNIT_FILES = sorted(RESULTS.glob("*/.units/*.json"))
# The generated JSON Schemas (jsonschema, ~10 s per standard result of 117 units) see every quick-suite file
# and the largest standard result of each task: the standard suite grows every session, and `.ci/run`'s
# `check --suite standard --committed-only` validates every standard file against the models the schemas
# are generated from (the models' round trip below still covers every file).
STANDARD_BY_TASK: dict[Path, list[Path]] = {}
for _path in SUITE_FILES:
    if _path.parts[-3] == "standard":
        STANDARD_BY_TASK.setdefault(_path.parent, []).append(_path)
SCHEMA_SAMPLE = [path for path in SUITE_FILES if path.parts[-3] != "standard"] + [
    max(paths, key=lambda path: (path.stat().st_size, path.name)) for paths in STANDARD_BY_TASK.values()]


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def _roundtrip(record: Any, kind: str) -> Any:
    return dump_record(parse_record(record, kind), kind)


# --- (a) committed files -----------------------------------------------------------------------------------

def test_every_committed_json_is_a_known_kind():
    committed = sorted(RESULTS.rglob("*.json"))
    assert committed, f"no results under {RESULTS}"
    unknown = [path for path in committed
               if path not in SUITE_FILES and path not in UNIT_FILES and path.name not in NOT_RECORDS]
    assert unknown == [], "a new kind of committed JSON: give it a schema or add it to NOT_RECORDS"
    assert len(SUITE_FILES) >= 30


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_committed_suite_results_validate_and_roundtrip_exactly(path):
    record = _load(path)
    if path in SCHEMA_SAMPLE:
        assert generated_validator("suite_result").is_valid(record)
    assert canonical(_roundtrip(record, "suite_result")) == canonical(record)
    for unit in record["units"]:  # the runner caches and rereads every unit alone
        assert canonical(_roundtrip(unit, "suite_result#unit")) == canonical(unit)


def test_committed_unit_records_validate_and_roundtrip_exactly():
    for path in UNIT_FILES:  # hundreds: one test, not one per file
        unit = _load(path)
        assert canonical(_roundtrip(unit, "suite_result#unit")) == canonical(unit), path


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda path: path.name)
def test_real_result_and_lam_records_validate_and_roundtrip(path):
    kind = "lam" if path.name.startswith("lam") else "result"
    record = _load(path)
    assert generated_validator(kind).is_valid(record)
    assert canonical(_roundtrip(record, kind)) == canonical(record)


# --- None vs absent ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def unit() -> dict[str, Any]:
    return _load(RESULTS / "quick" / "sr-x4" / "bicubic-x4.json")["units"][0]


@pytest.fixture(scope="module")
def adaptive() -> dict[str, Any]:
    return _load(FIXTURES / "result_sr_adaptive.json")


def test_nullable_optional_key_keeps_null_and_absence_apart(unit):
    metrics = unit["metrics"]
    null = {**metrics, "lam_di": None}
    absent = {key: value for key, value in metrics.items() if key != "lam_di"}
    assert _roundtrip(null, "suite_result#metrics") == null  # null stays null (exclude_none would drop it)
    assert "lam_di" not in _roundtrip(absent, "suite_result#metrics")  # absent stays absent


def test_optional_key_may_be_absent_but_not_null(adaptive):
    without_step = copy.deepcopy(adaptive)
    del without_step["protocol"]["step"]
    assert "step" not in _roundtrip(without_step, "result")["protocol"]
    with pytest.raises(ValueError, match="at protocol/step: .*not null"):
        validate_record({**adaptive, "protocol": {**adaptive["protocol"], "step": None}}, "result")
    assert "acceleration" not in _roundtrip({k: v for k, v in adaptive.items() if k != "acceleration"}, "result")
    with pytest.raises(ValueError, match="at acceleration: "):
        validate_record({**adaptive, "acceleration": None}, "result")


def test_units_may_say_how_they_ran_and_older_units_need_not():
    now = mutations.unit_as_run_now()
    assert canonical(_roundtrip(now, "suite_result#unit")) == canonical(now)
    assert generated_validator("suite_result#unit").is_valid(now)
    older = {key: value for key, value in now.items() if key != "acceleration"}
    assert "acceleration" not in _roundtrip(older, "suite_result#unit")
    for where, wrong in (("acceleration", None), ("acceleration/crop_ran", "yes"), ("acceleration/screen_ran", None)):
        bad = copy.deepcopy(now)
        if "/" in where:
            bad["acceleration"][where.split("/")[1]] = wrong
        else:
            bad["acceleration"] = wrong
        with pytest.raises(ValueError, match=f"at {where}: "):
            validate_record(bad, "suite_result#unit")
        assert mutations.jsonschema_verdict(generated_validator("suite_result#unit"), bad) == where


def test_required_nullable_keys_keep_their_nulls(adaptive):
    assert adaptive["model"]["weights_sha256"] is None and adaptive["acceleration"]["window"] is None
    dumped = _roundtrip(adaptive, "result")
    assert dumped["model"]["weights_sha256"] is None and dumped["acceleration"]["window"] is None
    with pytest.raises(ValueError, match="at model: 'weights_sha256' is a required property"):
        validate_record({**adaptive, "model": {"name": "x"}}, "result")


def test_nan_and_infinity_are_refused_even_where_untyped(unit):
    with pytest.raises(ValueError, match="at metrics/psnr_roi: Input should be a finite number"):
        validate_record({**unit, "metrics": {**unit["metrics"], "psnr_roi": float("nan")}}, "suite_result#unit")
    with pytest.raises(ValueError, match="at roi/x: NaN and Infinity are not JSON"):
        validate_record({**unit, "roi": {**unit["roi"], "x": float("inf")}}, "suite_result#unit")


def test_json_schema_integer_semantics(unit):
    assert _roundtrip({**unit, "forwards": 147.0}, "suite_result#unit")["forwards"] == 147  # 1.0 is an integer
    for wrong in (True, "147", 147.5):
        with pytest.raises(ValueError, match="at forwards: "):
            validate_record({**unit, "forwards": wrong}, "suite_result#unit")
    with pytest.raises(ValueError, match="at schema_version: "):
        validate_record({**_load(FIXTURES / "lam_bicubic_x2.json"), "schema_version": True}, "lam")


# --- messages: the repository's own expectations (tests/test_aggregate.py) ---------------------------------

Mutation = Callable[[dict[str, Any]], Any]
REPO_CASES: list[tuple[Mutation, str]] = [
    (lambda r: r.pop("units"), "<root>"),
    (lambda r: r.update(schema_version=1), "schema_version"),  # the old aggregates: rewrite, never read as new
    (lambda r: r["model"].update(card_sha256="xyz"), "model/card_sha256"),
    (lambda r: r["aggregates"]["psnr_gain"].update(extra=1), "aggregates/psnr_gain"),
    (lambda r: r["aggregates"].pop("causal_radius"), "aggregates"),
    (lambda r: r["units"][0]["metrics"].update(negative_fraction=1.5), "units/0/metrics/negative_fraction"),
    (lambda r: r["units"][0]["metrics"].update(positive=-1), "units/0/metrics/positive"),
    (lambda r: r["units"][0]["metrics"].update(negative_sum=0.5), "units/0/metrics/negative_sum"),
    (lambda r: r["units"][0].update(fingerprint="short"), "units/0/fingerprint"),
    (lambda r: r["units"][0]["image"].pop("sha256"), "units/0/image"),
    (lambda r: r["bootstrap"].update(level=1.0), "bootstrap/level"),
    (lambda r: r.update(units=[]), "units"),
    (lambda r: r["units"][2]["ce"][3].__setitem__(1, "x"), "units/2/ce/3/1"),
    (lambda r: r["aggregates"].update(lam_di=3), "aggregates/lam_di"),
    (lambda r: r.update(extra=1), "<root>"),
]


@pytest.mark.parametrize("mutate, where", REPO_CASES)
def test_messages_name_the_path_like_the_old_validator(mutate, where):
    record = _load(RESULTS / "quick" / "dn-s50" / "box-blur-3.json")
    mutate(record)
    with pytest.raises(ValueError) as raised:
        validate_record(record, "suite_result")
    message = str(raised.value)
    assert message.startswith(f"result does not match schema at {where}: ") and "\n" not in message
    assert mutations.jsonschema_verdict(generated_validator("suite_result"), record) == where


def test_unit_fragment_and_unknown_kinds(unit):
    with pytest.raises(ValueError, match="does not match schema at metrics: "):
        validate_record(unit | {"metrics": {}}, "suite_result#unit")
    with pytest.raises(KeyError, match="unknown record kind"):
        validate_record(unit, "suite_result#nope")
    assert validate_record("0" * 64, "suite_result#sha256") is None
    assert validate_record([[None, 1, 0.5]], "result#map") is None


# --- generated schemas -------------------------------------------------------------------------------------

def test_generated_schemas_are_valid_and_accept_the_committed_files(tmp_path):
    documents = {name: generate(name) for name in DOCUMENTS}
    for document in documents.values():
        Draft202012Validator.check_schema(document)
    for kind in KINDS:  # every old NAME#DEF still resolves
        name, _, definition = kind.partition("#")
        if definition:
            Draft202012Validator.check_schema(fragment(documents[name], definition))
    # The sampled files themselves are validated once, by the per-file test above (same generated schema).
    assert {path.parts[-3] for path in SCHEMA_SAMPLE} == {path.parts[-3] for path in SUITE_FILES}
    write_schemas(tmp_path)
    assert stale(tmp_path) == []
    (tmp_path / "lam.schema.json").write_text("{}")
    assert stale(tmp_path) == [tmp_path / "lam.schema.json"]


# --- the shipped schemas are what the models generate, and agree with them on mutated records ----------------

def test_shipped_schemas_are_up_to_date():
    """`python -m cem_bench.records.schema.generate cem_bench/records/schemas` after changing a model."""
    assert stale(SHIPPED) == []


@pytest.fixture(scope="module")
def tallies() -> tuple[mutations.Tally, dict[str, mutations.Tally]]:
    return mutations.run()


def test_generated_schemas_and_models_agree_on_mutants(tallies):
    overall, by_kind = tallies
    assert set(by_kind) == {"result", "suite_result", "suite_result#unit", "lam"}
    assert overall.total > 1000
    assert overall.unexpected == []  # every disagreement is one of mutations.EXPECTED
    assert overall.path_mismatches == []  # both reject: the same path
    assert overall.roundtrip_failures == []  # both accept: the dump is the mutant
    for kind, tally in by_kind.items():
        assert tally.outcomes["both reject"] > 100 and tally.outcomes["both accept"] > 100, kind


def test_mutants_cover_every_kind_of_violation():
    names = {name for _, kind, record in mutations.examples() for name, _, _ in mutations.mutants(record)}
    for wanted in ("key:drop", "key:extra", "type:string", "type:null", "num:-1", "num:101", "str:enum",
                   "list:drop", "list:repeat"):
        assert wanted in names
