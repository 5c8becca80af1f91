"""Coverage of a suite by hand-made unit records: counts, the CPU-time estimate and what it refuses to time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from handmade_results import make_unit

from cem_bench.analysis.coverage import PlannedUnit, coverage, job_seconds, read_unit_records
from cem_bench.core.errors import CemBenchError
from cem_bench.records.io import write_result

ROIS = ("r0-0-8", "r8-0-8", "r0-8-8")


def planned(model: str, task: str, images: int) -> list[PlannedUnit]:
    """``images`` images x 3 ROIs, each with its own fingerprint ``fp-<key>``."""
    units = []
    for i in range(images):
        for roi in ROIS:
            key = f"{model}.{task}.img{i}.{roi}"
            units.append(PlannedUnit(key, model, task, f"img{i}", f"fp-{key}"))
    return units


def record(unit: PlannedUnit, seconds: float, created: str = "2030-01-01T00:00:00+00:00", device: str = "cpu",
           resumed: int = 0) -> dict[str, Any]:
    """A schema-valid unit record of ``unit``, with its planned fingerprint."""
    made = make_unit(unit.model, unit.task, unit.image)
    made["key"] = unit.key
    made["fingerprint"] = unit.fingerprint
    made["seconds"] = seconds
    made["environment"] |= {"device": device, "resumed_samples": resumed, "created": created}
    return made


def write_units(folder: Path, records: list[dict[str, Any]]) -> None:
    for item in records:
        write_result(item, folder / f"{item['key']}.json", schema="suite_result#unit", compact=True)


@pytest.fixture
def suite_units(tmp_path) -> tuple[list[PlannedUnit], Path]:
    """A partial model (a), a complete one (b), one with nothing done (c), written to a .units folder.

    a on dn-s50, 5 images: img0 one shared run (6 s recorded by each of its 3 units: 6 s once), img1 three
    separate runs (1 + 2 + 4 = 7 s), img2 shared (10 s), img3 nothing, img4 one unit of three.
    """
    a, b, c = planned("a", "dn-s50", 5), planned("b", "dn-s50", 2), planned("c", "sr-x2", 2)
    fingerprints = {unit.key: f"{index:016x}" for index, unit in enumerate(a + b + c)}
    a, b, c = ([PlannedUnit(u.key, u.model, u.task, u.image, fingerprints[u.key]) for u in group] for group in (a, b, c))
    done = [record(unit, 6.0) for unit in a[0:3]]
    done += [record(unit, seconds) for unit, seconds in zip(a[3:6], (1.0, 2.0, 4.0))]
    done += [record(unit, 10.0, created="2030-02-03T04:05:06+00:00") for unit in a[6:9]]
    done += [record(a[12], 99.0)]
    done += [record(unit, 3.0) for unit in b]
    write_units(tmp_path / ".units", done)
    return a + b + c, tmp_path / ".units"


def test_counts_and_the_estimate_count_a_shared_job_once(suite_units):
    plan, folder = suite_units
    result = coverage(plan, read_unit_records(folder))
    a, b, c = (result.pair(model, task) for model, task in (("a", "dn-s50"), ("b", "dn-s50"), ("c", "sr-x2")))
    assert (a.units_done, a.units_planned, a.images_done, a.images_planned, a.timed_jobs) == (10, 15, 3, 5, 3)
    assert not a.complete
    # pending img3 and img4 (partly done counts whole) x median(6, 7, 10); 6 counted 3 times would give 20
    assert a.seconds_left == pytest.approx(2 * 7.0)
    assert (b.units_done, b.images_done, b.complete, b.seconds_left) == (6, 2, True, 0.0)
    assert (c.units_done, c.images_done, c.complete, c.seconds_left) == (0, 0, False, None)
    assert [(p.task, p.model) for p in result.pairs] == [("dn-s50", "a"), ("dn-s50", "b"), ("sr-x2", "c")]
    assert (result.units_done, result.units_planned, result.images_done, result.images_planned) == (16, 27, 5, 9)
    assert (result.pairs_complete, result.models_complete, result.models_planned) == (1, 1, 3)
    assert (result.seconds_left, result.unknown) == (pytest.approx(14.0), 1)
    assert result.latest == "2030-02-03T04:05:06+00:00"


def test_a_bound_fills_only_the_pairs_no_finished_job_times(suite_units):
    plan, folder = suite_units
    bounds = {("a", "dn-s50"): 1000.0, ("c", "sr-x2"): 50.0}
    result = coverage(plan, read_unit_records(folder), bounds)
    a, c = result.pair("a", "dn-s50"), result.pair("c", "sr-x2")
    assert (a.seconds_left, a.bounded) == (pytest.approx(14.0), False)  # measured jobs win over the bound
    assert (c.seconds_left, c.bounded) == (2 * 50.0, True)  # two pending images x the bound
    assert (result.unknown, result.bounded, result.seconds_left) == (0, 1, pytest.approx(114.0))


def test_unplanned_records_and_other_fingerprints_do_not_count(suite_units):
    plan, folder = suite_units
    records = read_unit_records(folder)
    stale = [r | {"fingerprint": "ffffffffffffffff"} if r["key"].startswith("b.") else r for r in records]
    result = coverage(plan, stale)
    assert result.pair("b", "dn-s50").units_done == 0 and result.pair("b", "dn-s50").seconds_left is None
    assert coverage([u for u in plan if u.model != "a"], records).units_done == 6  # a's records are not planned
    anything = [PlannedUnit(u.key, u.model, u.task, u.image) for u in plan]  # no fingerprint: any record counts
    assert coverage(anything, stale).units_done == 16


def test_only_cpu_jobs_computed_in_one_go_are_timed(suite_units):
    plan = suite_units[0]
    c = [u for u in plan if u.model == "c"]
    gpu = [record(unit, 0.5, device="cuda:0") for unit in c[0:3]]
    assert coverage(c, gpu).pair("c", "sr-x2").seconds_left is None  # a GPU's seconds are not CPU time
    resumed = [record(unit, 0.5, resumed=40 if unit is c[0] else 0) for unit in c[0:3]]
    assert coverage(c, resumed).pair("c", "sr-x2").timed_jobs == 0  # the record holds the last part only
    cpu = [record(unit, 5.0) for unit in c[0:3]]
    assert coverage(c, cpu).pair("c", "sr-x2").seconds_left == pytest.approx(5.0)


def test_job_seconds_shared_once_separate_summed():
    unit = PlannedUnit("m.dn-s50.img0.r0-0-8", "m", "dn-s50", "img0")
    assert job_seconds([record(unit, 4.0)] * 9) == 4.0
    assert job_seconds([record(unit, s) for s in (1.0, 2.0, 3.5)]) == 6.5
    assert job_seconds([record(unit, 1.0, device="cuda")]) is None


def test_reading_a_missing_folder_gives_nothing_and_a_damaged_record_is_named(tmp_path):
    assert read_unit_records(tmp_path / "absent") == []
    (tmp_path / "bad.json").write_text('{"key": "x"}')
    with pytest.raises(CemBenchError, match="bad.json"):
        read_unit_records(tmp_path)


def test_the_same_records_give_the_same_coverage_in_any_order(suite_units):
    plan, folder = suite_units
    records = read_unit_records(folder)
    assert coverage(plan, records) == coverage(list(reversed(plan)), list(reversed(records)))
