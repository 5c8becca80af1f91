"""Assembled results, rewriting older files' aggregates, the summary file and the suite-result schema, on
hand-made numbers (the interval itself: tests/analysis/test_bootstrap.py)."""

import copy
import json
from typing import Any

import pytest
from handmade_results import TINY, make_result, make_unit, write_results

from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.models import get_card
from cem_bench.pipeline.aggregate import assemble, build_summary, rewrite_aggregates, write_summary
from cem_bench.pipeline.suites import load_suite
from cem_bench.records.io import read_result, validate_result, write_result

GAINS = [0.1 * k ** 1.5 for k in range(12)]  # 12 images, one unit each: enough for an interval


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
    assert record["suite"]["name"] == "tiny" and record["schema_version"] == 2
    assert record["bootstrap"] == {"method": "studentized cluster", "resampled": "images", "min_images": 10,
                                   "resamples": 2000, "seed": 0, "level": 0.95}
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
    (lambda r: r.update(schema_version=3), "schema_version"),
    (lambda r: r["bootstrap"].update(method="percentile"), "bootstrap/method"),
    (lambda r: r["aggregates"]["psnr_gain"].pop("n_images"), "aggregates/psnr_gain"),
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


# --- rewriting the aggregates of files written by the older rule (schema version 1) -----------------------

def legacy(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as the older code wrote it: schema version 1, percentile bootstrap over units, ``n``."""
    old = copy.deepcopy(record)
    old["schema_version"] = 1
    boot = old["bootstrap"]
    old["bootstrap"] = {"method": "percentile", "resampled": "(image, ROI) units", "resamples": boot["resamples"],
                        "seed": boot["seed"], "level": boot["level"]}
    old["aggregates"] = {name: {"mean": ci["mean"], "low": ci["mean"], "high": ci["mean"], "n": ci["n_units"]}
                         for name, ci in record["aggregates"].items()}
    return old


def write_raw(root, record: dict[str, Any]):
    path = root / "tiny" / record["task"]["label"] / f"{record['model']['name']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def test_a_version_1_file_is_refused_on_read_with_the_way_to_rewrite_it(tmp_path):
    path = write_raw(tmp_path, legacy(make_result("box-blur-3", "dn-s50", GAINS)))
    with pytest.raises(CemBenchError, match="at schema_version: .*cem-bench aggregate --rewrite-aggregates"):
        read_result(path, schema="suite_result")


def test_rewrite_gives_what_assemble_gives_and_a_second_run_writes_nothing(tmp_path):
    current = make_result("box-blur-3", "dn-s50", GAINS)
    path = write_raw(tmp_path, legacy(current))
    done = rewrite_aggregates(tmp_path)
    assert done.rewritten == [path] and not done.current and not done.refused
    assert json.loads(path.read_text()) == current and current["aggregates"]["psnr_gain"]["low"] is not None
    text, stamp = path.read_text(), path.stat().st_mtime_ns
    again = rewrite_aggregates(tmp_path, ["tiny"])
    assert again.current == [path] and not again.rewritten and not again.refused
    assert path.read_text() == text and path.stat().st_mtime_ns == stamp  # idempotent: the file is not touched


def test_rewrite_refuses_files_that_contradict_themselves_and_leaves_them_as_they_are(tmp_path):
    good = write_raw(tmp_path, legacy(make_result("box-blur-5", "dn-s50", GAINS)))
    edited_map = legacy(make_result("box-blur-3", "dn-s50", GAINS, effect_range=0.5))
    edited_map["units"][0]["ce"][0][1] = 0.75  # its unit metrics no longer follow from its map
    edited_mean = legacy(make_result("identity", "dn-s50", GAINS))
    edited_mean["aggregates"]["psnr_gain"]["mean"] += 1.0  # the stored mean is not its units' mean
    bad = [write_raw(tmp_path, edited_map), write_raw(tmp_path, edited_mean)]
    before = [path.read_text() for path in bad]
    done = rewrite_aggregates(tmp_path)
    assert done.rewritten == [good] and len(done.refused) == 2
    assert "box-blur-3.json: refused" in done.refused[0] and "units[0].metrics" in done.refused[0]
    assert "identity.json: refused, aggregates.psnr_gain" in done.refused[1]
    assert [path.read_text() for path in bad] == before
    with pytest.raises(CemBenchError, match="no results of suite nothing"):
        rewrite_aggregates(tmp_path, ["nothing"])


def test_the_aggregate_command_rewrites_then_writes_the_summary(tmp_path, capsys):
    path = write_raw(tmp_path, legacy(make_result("box-blur-3", "dn-s50", GAINS)))
    assert main(["aggregate", "--results", str(tmp_path), "--rewrite-aggregates"]) == 0
    out = capsys.readouterr().out
    assert f"rewrote {path}" in out and "1 file(s) rewritten, 0 already current, 0 refused" in out
    assert (tmp_path / "summary.json").is_file()
    assert main(["aggregate", "--results", str(tmp_path), "--rewrite-aggregates"]) == 0
    assert "0 file(s) rewritten, 1 already current" in capsys.readouterr().out
    path.write_text("{")
    assert main(["aggregate", "--results", str(tmp_path), "--rewrite-aggregates"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cem-bench: error: refused: {path}: not a readable suite result") and err.count("\n") == 1
    assert main(["aggregate", "--results", str(tmp_path), "--suite", "tiny"]) == 2
