"""`score` with several ROIs: one multi_result record, one heatmap per ROI, maps equal to single-ROI runs."""

from __future__ import annotations

import json

import pytest

from cem_bench import ParameterError, Protocol, score
from cem_bench.cem.acceleration import Acceleration
from cem_bench.cli import main
from cem_bench.core.geometry import ROI
from cem_bench.core.metrics import input_psnr
from cem_bench.core.metrics.catalog import stored_metric
from cem_bench.models import load_model
from cem_bench.models.card import ModelCard
from cem_bench.records.io import read_result

ROIS = ["8,8,16", "32,8,16", "20,28,16"]


def test_several_rois_give_one_record_with_a_map_each(astronaut64, tmp_path):
    protocol = Protocol(coarse=2, fine=3)
    many = score("box-blur-5", "dn", astronaut64, ROIS, protocol=protocol, device="cpu", progress=False)
    assert len(many.maps) == 3 and [entry["roi"]["x"] for entry in many.record["maps"]] == [8, 32, 20]
    for text, entry in zip(ROIS, many.record["maps"]):
        alone = score("box-blur-5", "dn", astronaut64, text, protocol=protocol, device="cpu", progress=False)
        assert entry["ce"] == alone.record["ce"] and entry["forwards"] == alone.record["forwards"]
    assert many.record["forwards"] < sum(entry["forwards"] for entry in many.record["maps"])
    path = many.write(tmp_path)
    assert read_result(path, "multi_result")["groups"] == many.record["groups"]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["cem-20-28-16.png", "cem-32-8-16.png", "cem-8-8-16.png"]
    with pytest.raises(ValueError, match="use .maps"):
        many.result


def test_the_same_roi_twice_is_refused(astronaut64):
    with pytest.raises(ParameterError, match="roi lists the same ROI twice"):
        score("box-blur-5", "dn", astronaut64, ["8,8,16", "8,8,16"], device="cpu", progress=False)


def test_cli_takes_repeated_roi_flags(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["score", "--model", "box-blur-3", "--task", "dn", "--image", "skimage:astronaut", "--roi", "240,200,32",
                 "--roi", "300,180,32", "--fine", "2", "--device", "cpu", "--out", str(out), "--quiet"])
    assert code == 0
    record = json.loads((out / "result.json").read_text())
    assert len(record["maps"]) == 2 and "2 ROIs:" in capsys.readouterr().out


def test_records_carry_the_input_psnr_and_the_gain_as_suite_units_do(astronaut64):
    protocol = Protocol(coarse=2, fine=2)
    one = score("box-blur-5", "dn", astronaut64, "8,8,16", protocol=protocol, device="cpu", progress=False)
    many = score("box-blur-5", "dn", astronaut64, ["8,8,16", "32,8,16"], protocol=protocol, device="cpu", progress=False)
    baseline = input_psnr(one.degraded.gt, one.degraded.lq, ROI(8, 8, 16))
    assert one.record["psnr_input"] == stored_metric(baseline)
    assert one.record["psnr_gain"] == stored_metric(one.record["psnr_roi"] - baseline)  # the runner's unit formula
    assert many.record["maps"][0]["psnr_gain"] == one.record["psnr_gain"]
    assert 0 < one.record["psnr_gain"] < one.record["psnr_roi"]  # a box blur removes some of the sigma-50 noise


def test_a_network_that_cannot_run_on_the_crop_window_runs_on_the_whole_image(astronaut64):
    """A 40-px pooling fails on the small window around the ROI: the crop is off, the map the same."""
    card = ModelCard.model_validate({
        "name": "needs-large", "description": "test", "tasks": [{"task": "dn"}],
        "architecture": {"source": "module", "name": "helpers:NeedsLargeInput", "kwargs": {"min_side": 40}},
        "origin": {"paper": "none"}, "license": "MIT"})
    protocol = Protocol(coarse=2, fine=2)
    fast = score(load_model(card), "dn", astronaut64, "8,8,16", protocol=protocol, device="cpu", progress=False)
    plain = score(load_model(card), "dn", astronaut64, "8,8,16", protocol=protocol, device="cpu", progress=False,
                  acceleration=Acceleration.off())
    assert "crop off: no cropped ROI output equals the full image's" in fast.record["acceleration"]["notes"]
    assert fast.record["ce"] == plain.record["ce"]
