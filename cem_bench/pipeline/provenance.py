"""Were a suite's committed records computed for the suite and the model cards as they are now?

:mod:`cem_bench.pipeline.check`'s consistency checks ask whether a record's numbers follow from its own
maps. This asks what they were computed *for*: a unit record must carry the suite's protocol block (bank
content hash included), its model card's current hash and the fingerprint the runner would give it today
(protocol, task, image, ROI, card); a result file must carry the suite's hash, exactly the plan's units of
its (model, task), and each of them identical to its committed unit record. A card whose weights were
replaced (a zoo model retrained) therefore fails the check until its old records are deleted and rescored,
instead of staying ranked under the suite's id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cem_bench.core.banks import bank_sha256
from cem_bench.models import get_card
from cem_bench.pipeline.committed import Committed, Read
from cem_bench.pipeline.plan import Unit, card_sha256
from cem_bench.pipeline.runner import UNITS_DIR, fingerprint
from cem_bench.pipeline.suites import Suite

RESCORE = "delete it and rescore"


class _Cards:
    """Each card once (loading and hashing a card for each of thousands of units would dominate the check)."""

    def __init__(self) -> None:
        self._cards: dict[str, tuple[Any, str]] = {}

    def __call__(self, unit: Unit) -> tuple[Any, str]:
        if unit.card_ref not in self._cards:
            card = get_card(unit.card_ref)
            self._cards[unit.card_ref] = card, card_sha256(card)
        return self._cards[unit.card_ref]


def stale_records(results_dir: str | Path, suite: Suite, committed: Committed | None = None) -> list[str]:
    """``file: problem`` for every committed unit record and result file of ``suite`` that was computed for
    another protocol, card, task, image or ROI than the suite's plan has now (``committed``: the snapshot to
    inspect instead of reading the files again). Records that cannot be read or are not in the plan are
    :func:`cem_bench.pipeline.check.inconsistent_units`'s to report."""
    committed = committed if committed is not None else Committed.read(results_dir, suite)
    cards = _Cards()
    protocol = suite.protocol.describe(bank_sha256(suite.protocol.bank))
    units: dict[str, dict[str, Any]] = {}
    problems = []
    for read in committed.units:
        record = read.record
        unit = committed.planned.get(record["key"]) if record is not None else None
        if unit is None:
            continue
        units[record["key"]] = record
        card, card_hash = cards(unit)
        if record["protocol"] != protocol:
            problems.append(f"{read.path}: protocol block (hash {record['protocol'].get('hash')}) is not the "
                            f"suite's (hash {protocol['hash']}): {RESCORE}")
        if record["model"]["card_sha256"] != card_hash:
            problems.append(f"{read.path}: computed with another version of card {card.name} (its card or weights "
                            f"changed since): {RESCORE}")
        elif record["fingerprint"] != (expected := fingerprint(unit, suite, card)):
            problems.append(f"{read.path}: fingerprint {record['fingerprint']} is not the one the runner gives it "
                            f"now ({expected}): {RESCORE}")
    planned_keys = committed.planned_keys()
    for read in committed.results:
        if read.record is not None:  # check.inconsistent_results reports the others
            problems += [f"{read.path}: {problem}"
                         for problem in _result_problems(read, suite, committed, planned_keys, units, cards)]
    return problems


def _result_problems(read: Read, suite: Suite, committed: Committed, planned_keys: dict[tuple[str, str], list[str]],
                     units: dict[str, dict[str, Any]], cards: _Cards) -> list[str]:
    record = read.record
    problems = []
    if record["suite"]["hash"] != suite.hash:
        problems.append(f"suite hash {record['suite']['hash']} is not suite {suite.name}'s ({suite.hash}): {RESCORE}")
    pair = (record["model"]["name"], read.path.parent.name)
    expected = planned_keys.get(pair, [])
    keys = sorted(unit["key"] for unit in record["units"])
    if keys != expected:
        problems.append(f"holds {len(keys)} unit(s), the plan of {pair[0]} on {pair[1]} has {len(expected)} "
                        f"({len(set(keys) - set(expected))} unplanned, {len(set(expected) - set(keys))} missing)")
    elif record["model"]["card_sha256"] != cards(committed.planned[expected[0]])[1]:
        problems.append(f"computed with another version of card {pair[0]}: {RESCORE}")
    differing = [unit["key"] for unit in record["units"] if units.get(unit["key"]) != unit]
    if differing:
        problems.append(f"{len(differing)} unit(s) differ from (or lack) their committed record in {UNITS_DIR}/, "
                        f"e.g. {differing[0]}")
    return problems


__all__ = ["stale_records"]
