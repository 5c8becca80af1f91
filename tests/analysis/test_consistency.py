"""A suite result must follow from itself: derived numbers re-derived from its maps and units."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from handmade_results import derive_map_metrics, make_result, make_unit

from cem_bench.analysis.consistency import (
    MAX_BOOTSTRAP_DRAWS,
    aggregate_problems,
    derivation_problems,
    require_consistent,
    unit_problems,
)
from cem_bench.core.errors import CemBenchError

COMMITTED = Path(__file__).resolve().parents[2] / "results" / "quick" / "sr-x4" / "carn-m-x4.json"


@pytest.fixture
def record() -> dict[str, Any]:
    """A committed, really scored result with effects, zeros, ROI nulls and LAM DIs (3 images: no intervals)."""
    return json.loads(COMMITTED.read_text())


@pytest.fixture
def wide() -> dict[str, Any]:
    """A hand-made result of 12 images: its aggregates have intervals."""
    return make_result("box-blur-3", "dn-s50", [0.1 * k ** 1.5 for k in range(12)])


def paths(problems: list[str]) -> list[str]:
    return [problem.split(":")[0] for problem in problems]


def test_a_committed_result_follows_from_itself(record):
    assert derivation_problems(record) == []
    require_consistent(record, "x.json")


def test_an_edited_effect_is_named_by_every_number_it_feeds(record):
    row, col = next((i, j) for i, r in enumerate(record["units"][1]["ce"]) for j, v in enumerate(r) if v not in (None, 0.0))
    record["units"][1]["ce"][row][col] = 99.0
    found = paths(derivation_problems(record))
    assert {"units[1].metrics.positive_sum", "units[1].metrics.effect_range", "units[1].effect_range"} <= set(found)
    assert all(path.startswith("units[1].") for path in found)  # the unit metrics did not move: aggregates hold


def test_the_gain_must_be_roi_minus_input_psnr(record):
    record["units"][0]["metrics"]["psnr_roi"] += 5.0
    problems = derivation_problems(record)
    assert problems[0].startswith("units[0].metrics.psnr_gain: committed ") and "psnr_roi" in problems[0]
    assert "aggregates.psnr_roi.mean" in paths(problems)


@pytest.mark.parametrize("edit, expected", [
    (lambda r: r["aggregates"]["psnr_gain"].update(mean=42.0), ["aggregates.psnr_gain.mean"]),
    (lambda r: r["aggregates"]["positive"].update(n_units=2), ["aggregates.positive.n_units"]),
    (lambda r: r["aggregates"]["positive"].update(n_images=2), ["aggregates.positive.n_images"]),
    (lambda r: r["aggregates"]["psnr_roi"].update(low=20.0, high=30.0, reason=None),  # an interval at 3 images
     ["aggregates.psnr_roi.low", "aggregates.psnr_roi.high", "aggregates.psnr_roi.reason"]),
    (lambda r: r["bootstrap"].update(min_images=3), ["bootstrap.min_images"]),  # the minimum is the code's
    (lambda r: r["aggregates"].pop("lam_di"), ["aggregates.lam_di"]),
    (lambda r: r["aggregates"].update(extra={"mean": 1.0, "low": 1.0, "high": 1.0, "n_units": 1, "n_images": 1,
                                             "reason": None}), ["aggregates.extra"]),
])
def test_each_aggregate_must_be_the_bootstrap_of_the_units(record, edit, expected):
    edit(record)
    assert paths(derivation_problems(record)) == expected


def test_an_interval_must_be_the_cluster_bootstrap_of_the_images(wide):
    assert derivation_problems(wide) == [] and wide["aggregates"]["psnr_gain"]["reason"] is None
    high = wide["aggregates"]["psnr_gain"]["high"]
    wide["aggregates"]["psnr_gain"]["high"] = high + 1e-4  # below the 1e-3 between two machines, above rounding
    assert paths(derivation_problems(wide)) == ["aggregates.psnr_gain.high"]
    wide["aggregates"]["psnr_gain"].update(high=high, low=None, reason="n too small: 12 images < 10")
    assert paths(derivation_problems(wide)) == ["aggregates.psnr_gain.low", "aggregates.psnr_gain.reason"]


def test_a_dropped_unit_shows_in_every_count(record):
    record["units"].pop()
    found = paths(aggregate_problems(record))
    assert {f"aggregates.{name}.{count}" for name in ("psnr_roi", "positive", "diffusion_index")
            for count in ("n_units", "n_images")} <= set(found)


def test_an_edited_unit_count_fails_the_unit_and_its_aggregate(record):
    record["units"][2]["metrics"]["positive"] += 1
    found = paths(derivation_problems(record))
    assert found[0] == "units[2].metrics.positive" and "aggregates.positive.mean" in found


def test_a_metric_absent_from_an_old_file_may_stay_absent_where_no_unit_defines_it():
    record = make_result("box-blur-3", "dn-s50", [1.0, 2.0])  # lam_di: null in every unit
    del record["aggregates"]["lam_di"]
    assert derivation_problems(record) == []


def test_blocks_tied_by_rounding_may_both_be_the_extreme():
    unit = make_unit("box-blur-3", "dn-s50", "a", psnr_roi=21.0, psnr_input=20.0, psnr_gain=1.0)
    unit["ce"] = [[None, 0.5], [0.5, 0.0]]
    derive_map_metrics(unit)
    assert unit["effect_range"]["argmax"] == [0, 1]
    unit["effect_range"]["argmax"] = [1, 0]  # 0.5000004 and 0.4999996 before rounding: either one
    assert unit_problems(unit, "u") == []
    unit["effect_range"]["argmax"] = [1, 1]
    assert paths(unit_problems(unit, "u")) == ["u.effect_range"]


@pytest.mark.parametrize("edit, expected", [
    (lambda u: u["grid"].update(in_block=0), "units[0]: its map cannot be re-derived"),
    (lambda u: u["roi"].update(z=1), "units[0]: its map cannot be re-derived"),
    (lambda u: u["roi"].update(x="a"), "units[0]: its map cannot be re-derived"),
    (lambda u: u["ce"].pop(), "units[0].ce: shape [7, 8] does not fit the grid [8, 8]"),
    (lambda u: u["effect_range"].update(argmax="0,0"), "units[0].effect_range: committed"),
])
def test_a_malformed_unit_is_one_problem_not_a_traceback(record, edit, expected):
    edit(record["units"][0])
    assert derivation_problems(record)[0].startswith(expected)


def test_a_huge_bootstrap_is_refused_before_any_draw(record):
    record["bootstrap"]["resamples"] = MAX_BOOTSTRAP_DRAWS
    assert paths(aggregate_problems(record)) == ["bootstrap.resamples"]


def test_a_contradicting_file_is_refused_in_one_line(record):
    edited = copy.deepcopy(record)
    edited["aggregates"]["psnr_gain"]["mean"] = 42.0
    with pytest.raises(CemBenchError) as error:
        require_consistent(edited, "r.json")
    assert str(error.value).startswith("r.json: refused, its numbers do not follow from its own maps and units: "
                                       "aggregates.psnr_gain.mean: committed 42.0, derived ")
    assert str(error.value).endswith("its units are sound: `cem-bench aggregate --rewrite-aggregates` re-derives "
                                     "its aggregates")
    assert "\n" not in str(error.value)


def test_a_file_with_unsound_units_is_not_told_to_rewrite_its_aggregates(record):
    edited = copy.deepcopy(record)
    edited["units"][0]["metrics"]["psnr_gain"] = 42.0
    with pytest.raises(CemBenchError) as error:
        require_consistent(edited, "r.json")
    assert "units[0].metrics.psnr_gain: committed 42.0" in str(error.value)
    assert "rewrite-aggregates" not in str(error.value)
