"""`score` with several ROIs: one multi_result record, one heatmap per ROI, maps equal to single-ROI runs."""

from __future__ import annotations

import json

import pytest

from cem_bench import ParameterError, Protocol, score
from cem_bench.cli import main
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
