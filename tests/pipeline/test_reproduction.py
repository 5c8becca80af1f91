"""Regeneration rules: CPU-level shifts and threshold flips pass, changed maps and derived numbers fail."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cem_bench.cli import main
from cem_bench.pipeline.reproduction import MEASURED_TOL, compare_maps, compare_result, derivation_problems

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_suite.yaml"


@pytest.fixture(scope="module")
def record(tmp_path_factory) -> dict[str, Any]:
    """box-blur-3 on the tiny suite's DN task: a real result with effects, zeros and ROI nulls."""
    root = tmp_path_factory.mktemp("scored")
    suite = yaml.safe_load(TINY.read_text()) | {"models": ["box-blur-3"]}
    (root / "tiny.yaml").write_text(yaml.safe_dump(suite))
    assert main(["run", "--suite", str(root / "tiny.yaml"), "--out", str(root / "results"), "--quiet"]) == 0
    return json.loads((root / "results" / "tiny" / "dn-s50" / "box-blur-3.json").read_text())


def shifted(record: dict[str, Any], delta: float) -> dict[str, Any]:
    """What another CPU gives: the unit's PSNR and every effect move by ``delta``; sums move with them."""
    rerun = copy.deepcopy(record)
    for unit in rerun["units"]:
        unit["metrics"]["psnr_roi"] += delta
        unit["ce"] = [[v if v in (None, 0.0) else v + delta for v in row] for row in unit["ce"]]
        unit["metrics"]["negative_sum"] -= 40 * delta
    rerun["aggregates"]["negative_sum"]["mean"] -= 40 * delta
    return rerun


def effect_blocks(unit: dict[str, Any]) -> list[tuple[int, int]]:
    return [(i, j) for i, row in enumerate(unit["ce"]) for j, v in enumerate(row) if v not in (None, 0.0)]


def test_the_committed_record_is_consistent_and_has_effects(record):
    assert derivation_problems(record) == []
    assert compare_result(record, copy.deepcopy(record)) == ([], 0)
    assert len(effect_blocks(record["units"][0])) >= 3


def test_how_a_map_ran_is_not_compared(record):
    # Units committed before the runner recorded the accelerations rescore with them; a crop that agrees on
    # one CPU build and not on another changes how the map ran, never the map.
    assert "acceleration" in record["units"][0]
    older = copy.deepcopy(record)
    del older["units"][0]["acceleration"]
    assert compare_result(older, record) == ([], 0)
    uncropped = copy.deepcopy(record)
    uncropped["units"][0]["acceleration"].update(crop_ran=False, window=None)
    assert compare_result(record, uncropped) == ([], 0)
    assert compare_result(record, {**record, "task": {**record["task"], "version": 99}})[0] == [
        f"task.version: {record['task']['version']} != 99"]


def test_a_cpu_level_shift_passes_even_where_sums_move_more(record):
    assert compare_result(record, shifted(record, 0.8 * MEASURED_TOL)) == ([], 0)


def test_a_larger_shift_fails_at_every_effect_block(record):
    problems, _ = compare_result(record, shifted(record, 3 * MEASURED_TOL))
    blocks = effect_blocks(record["units"][0])
    assert "units[0].metrics.psnr_roi" in problems[0]
    assert sum(".ce[" in p for p in problems) == len(blocks)


def test_a_block_zeroed_on_one_side_is_a_threshold_flip(record):
    unit = {"protocol": record["units"][0]["protocol"], "ce": [[0.0125, -0.2]], "n_samples": [[1, 1]],
            "stderr": [[None, None]]}
    assert compare_maps(unit, {**unit, "ce": [[0.0, -0.2]]}, "u") == ([], 1)
    assert compare_maps(unit, {**unit, "ce": [[0.0, 0.0]]}, "u") == (["u.ce[0][1]: -0.2 != 0.0"], 1)


def test_a_finely_sampled_block_against_a_zero_coarse_one_is_a_flip_other_counts_are_not():
    unit = {"protocol": {"tol": 0.01, "coarse": 3}, "ce": [[0.0, 0.0]], "n_samples": [[3, 13]],
            "stderr": [[0.001, 0.01]]}
    assert compare_maps(unit, {**unit, "ce": [[0.04, 0.0]], "n_samples": [[13, 13]]}, "u") == ([], 1)
    assert compare_maps(unit, {**unit, "ce": [[0.0, 0.0]], "n_samples": [[3, 12]]}, "u") == (
        ["u.n_samples[0][1]: 13 != 12"], 0)


def test_many_flips_fail_as_a_whole():
    row = [0.011] * 40
    unit = {"protocol": {"tol": 0.01, "coarse": 3}, "ce": [row], "n_samples": [[13] * 40], "stderr": [[0.0] * 40]}
    problems, flips = compare_maps(unit, {**unit, "ce": [[0.0] * 40]}, "u")
    assert flips == 40 and problems == ["u: 40 threshold flips in 40 blocks (at most 5%)"]


def test_forwards_must_follow_the_sample_counts(record):
    rerun = copy.deepcopy(record)
    rerun["units"][0]["forwards"] += 1
    problems, _ = compare_result(record, rerun)
    assert problems == [f"units[0]: forwards {record['units'][0]['forwards']} != {rerun['units'][0]['forwards']} "
                        "beyond what the sample counts explain"]


def test_committed_derived_numbers_must_follow_from_the_committed_map(record):
    edited = copy.deepcopy(record)
    edited["aggregates"]["diffusion_index"]["mean"] += 0.5
    assert [p.split(":")[0] for p in derivation_problems(edited)] == ["aggregates.diffusion_index.mean"]
    edited = copy.deepcopy(record)
    edited["units"][0]["metrics"]["negative_sum"] += 0.01  # so the aggregates of the edited units move too
    problems = [p.split(":")[0] for p in derivation_problems(edited)]
    assert problems[0] == "units[0].metrics.negative_sum"
    assert set(problems[1:]) <= {f"aggregates.negative_sum.{k}" for k in ("mean", "low", "high")} and problems[1:]
    block = effect_blocks(record["units"][0])[0]
    edited = copy.deepcopy(record)
    edited["units"][0]["ce"][block[0]][block[1]] += 1.0  # the map moved but its metrics did not
    assert any(p.startswith("units[0].metrics.positive_sum") or p.startswith("units[0].metrics.negative_sum")
               for p in derivation_problems(edited))
