"""Committed records must have been computed for the suite and the model cards as they are now."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cem_bench.pipeline import provenance
from cem_bench.pipeline.provenance import stale_records
from cem_bench.pipeline.suites import load_suite

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_suite.yaml"


@pytest.fixture
def results(scored, tmp_path) -> Path:
    """A private copy to edit."""
    for path in scored.rglob("*.json"):
        target = tmp_path / path.relative_to(scored)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    return tmp_path


def _unit_file(results: Path) -> Path:
    return next((results / "tiny" / ".units").glob("*.json"))


def _result_file(results: Path) -> Path:
    return results / "tiny" / "dn-s50" / "box-blur-5.json"


def _edit(path: Path, change) -> None:
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))


def test_records_of_the_current_suite_and_cards_pass(results):
    assert _result_file(results).is_file()
    assert stale_records(results, load_suite(TINY)) == []


def test_a_changed_card_fails_every_record_computed_with_the_old_one(results, monkeypatch):
    monkeypatch.setattr(provenance, "card_sha256", lambda card: "0" * 64)  # as if its weights were replaced
    problems = stale_records(results, load_suite(TINY))
    assert len(problems) == 2
    assert problems[0].startswith(f"{_unit_file(results)}: computed with another version of card box-blur-5")
    assert problems[1].startswith(f"{_result_file(results)}: computed with another version of card box-blur-5")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("fingerprint", "0123456789abcdef", "fingerprint 0123456789abcdef is not the one the runner gives it now"),
    ("protocol.bank.sha256", "f" * 64, "protocol block (hash "),
])
def test_a_unit_computed_for_something_else_fails_and_so_does_its_result_file(results, field, value, message):
    def change(record):
        *parents, last = field.split(".")
        target = record
        for name in parents:
            target = target[name]
        target[last] = value

    _edit(_unit_file(results), change)
    problems = stale_records(results, load_suite(TINY))
    assert problems[0].startswith(f"{_unit_file(results)}: {message}")
    # the result file's copy of the unit no longer equals the committed record
    assert problems[-1].startswith(f"{_result_file(results)}: 1 unit(s) differ from (or lack) their committed record")


def test_a_result_file_of_another_suite_version_or_other_units_fails(results):
    _edit(_result_file(results), lambda record: record["suite"].update(hash="0" * 16))
    assert stale_records(results, load_suite(TINY)) == [
        f"{_result_file(results)}: suite hash {'0' * 16} is not suite tiny's ({load_suite(TINY).hash}): delete it and rescore"]
    _edit(_result_file(results), lambda record: record["units"][0].update(key="box-blur-5.dn-s50.coffee.r0-0-16"))
    problems = stale_records(results, load_suite(TINY))
    assert f"{_result_file(results)}: holds 1 unit(s), the plan of box-blur-5 on dn-s50 has 1 (1 unplanned, 1 missing)" \
        in problems
