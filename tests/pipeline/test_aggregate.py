"""Bootstrap aggregates, the summary file and the suite-result schema, on hand-made numbers."""

import copy
import json

import numpy as np
import pytest
from handmade_results import TINY, make_result, make_unit, write_results

from cem_bench.analysis.bootstrap import bootstrap_ci
from cem_bench.core.errors import CemBenchError
from cem_bench.core.metrics.catalog import METRICS
from cem_bench.models import get_card
from cem_bench.pipeline.aggregate import aggregate_units, assemble, build_summary, write_summary
from cem_bench.pipeline.suites import load_suite
from cem_bench.records.io import read_result, validate_result, write_result


def test_mean_is_exact_and_the_interval_holds_it():
    values = [1.0, 2.0, 4.0, 9.0]
    ci = bootstrap_ci(values, resamples=1000, seed=3)
    assert ci["mean"] == 4.0 and ci["n"] == 4 and 1.0 <= ci["low"] < 4.0 < ci["high"] <= 9.0


def test_interval_matches_the_normal_approximation_on_many_units():
    values = np.random.default_rng(7).normal(10.0, 2.0, 400)
    ci = bootstrap_ci(values.tolist(), resamples=4000, seed=0)
    half = 1.96 * values.std(ddof=1) / np.sqrt(values.size)
    assert abs((ci["high"] - ci["low"]) / 2 - half) < 0.1 * half
    assert abs((ci["high"] + ci["low"]) / 2 - values.mean()) < 0.1 * half


def test_seed_and_level_control_the_interval():
    values = [0.5, 3.0, 1.0, 7.0, 2.5]
    assert bootstrap_ci(values, seed=1) == bootstrap_ci(values, seed=1)
    assert bootstrap_ci(values, seed=1) != bootstrap_ci(values, seed=2)
    wide, narrow = bootstrap_ci(values, level=0.95), bootstrap_ci(values, level=0.5)
    assert wide["low"] < narrow["low"] < narrow["high"] < wide["high"]


def test_undefined_values_are_left_out_and_counted():
    assert bootstrap_ci([None, float("nan"), 2.0, 4.0], resamples=10)["n"] == 2
    assert bootstrap_ci([None, None]) == {"mean": None, "low": None, "high": None, "n": 0}


def test_units_are_resampled_jointly_across_metrics():
    units = [make_unit("box-blur-3", "dn-s50", f"i{k}", psnr_roi=v, psnr_gain=2 * v)
             for k, v in enumerate([1.0, 5.0, 2.0, 8.0])]
    aggregates = aggregate_units(units, resamples=500, seed=0, level=0.95)
    roi, gain = aggregates["psnr_roi"], aggregates["psnr_gain"]
    assert (gain["low"], gain["mean"], gain["high"]) == pytest.approx((2 * roi["low"], 2 * roi["mean"], 2 * roi["high"]))
    assert list(aggregates) == list(METRICS)


def test_summary_is_small_sorted_and_rounded(tmp_path):
    write_results(tmp_path, [make_result("box-blur-5", "dn-s50", [1.23456789, 2.0]),
                             make_result("bicubic-x2", "sr-x2", [0.5]), make_result("box-blur-3", "dn-s50", [3.0])])
    summary = build_summary(tmp_path)
    assert list(summary["tiny"]) == ["dn-s50", "sr-x2"] and list(summary["tiny"]["dn-s50"]) == ["box-blur-3", "box-blur-5"]
    assert summary["tiny"]["dn-s50"]["box-blur-5"]["psnr_gain"] == 1.6173
    assert summary["tiny"]["sr-x2"]["bicubic-x2"]["causal_radius"] is None
    path = write_summary(tmp_path)
    assert json.loads(path.read_text()) == summary
    assert build_summary(tmp_path / "absent") == {}


def test_assembled_results_record_provenance_and_validate(tmp_path):
    record = make_result("box-blur-3", "dn-s50", [1.0, 2.0])
    validate_result(record, "suite_result")
    assert record["suite"]["name"] == "tiny" and record["bootstrap"]["method"] == "percentile"
    assert record["seeds"] == {"protocol": 0, "bootstrap": record["bootstrap"]["seed"]}
    assert record["model"]["card_tasks"] and record["environment"]["package_version"]
    path = write_result(record, tmp_path / "r.json", schema="suite_result")
    assert read_result(path, schema="suite_result") == record


def test_units_mixing_protocols_are_refused():
    first, second = make_unit("box-blur-3", "dn-s50", "a"), make_unit("box-blur-3", "dn-s50", "b")
    second["protocol"] = {**second["protocol"], "hash": "ffffffffffffffff"}
    with pytest.raises(CemBenchError, match="mix protocols"):
        assemble(load_suite(TINY), [first, second], get_card("box-blur-3"), multi_task=False)


def _broken(mutate):
    record = make_result("box-blur-3", "dn-s50", [1.0])
    mutate(record)
    return record


@pytest.mark.parametrize("mutate, where", [
    (lambda r: r.pop("units"), "<root>"),
    (lambda r: r.update(schema_version=2), "schema_version"),
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
])
def test_schema_rejections(mutate, where):
    with pytest.raises(CemBenchError, match=f"at {where}"):
        validate_result(_broken(mutate), "suite_result")


def test_invalid_files_are_refused_on_read_and_never_written(tmp_path):
    record = make_result("box-blur-3", "dn-s50", [1.0])
    path = write_result(record, tmp_path / "ok.json", schema="suite_result")
    tampered = copy.deepcopy(record)
    tampered["units"][0]["metrics"]["diffusion_index"] = 150.0
    path.write_text(json.dumps(tampered))
    with pytest.raises(CemBenchError, match="diffusion_index"):
        read_result(path, schema="suite_result")
    with pytest.raises(CemBenchError):
        write_result(tampered, tmp_path / "bad.json", schema="suite_result")
    assert not (tmp_path / "bad.json").exists()
    with pytest.raises(CemBenchError, match="does not match schema"):
        validate_result(record["units"][0] | {"metrics": {}}, "suite_result#unit")
