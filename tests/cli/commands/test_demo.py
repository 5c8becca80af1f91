"""`cem-bench demo`: the embedded-default run writes a crop, one folder per model and a table; bad options
are refused before anything is written."""

from __future__ import annotations

import json

import pytest

from cem_bench.cli import main
from cem_bench.cli.commands import demo


def test_demo_scores_each_run_on_the_crop(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(demo, "DEMO_RUNS", demo.DEMO_RUNS[:2])  # the analytic models: seconds, no weights
    assert main(["demo", "--fine", "2", "--quiet", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "astronaut_crop.png").is_file()
    for name, _, _ in demo.DEMO_RUNS[:2]:
        record = json.loads((tmp_path / name / "result.json").read_text())
        assert record["roi"] == {"x": 32, "y": 32, "size": 32} and record["protocol"]["fine"] == 2
    table = capsys.readouterr().out
    assert "| box-blur-5 " in table and "| bicubic-x4 " in table


@pytest.mark.parametrize(("option", "message"), [
    (["--fine", "-1"], "--fine must be non-negative"),
    (["--device", "nonsense"], "--device must be auto, cpu or cuda[:N]"),
])
def test_bad_options_are_refused_before_anything_is_written(option, message, tmp_path, capsys):
    assert main(["demo", *option, "--quiet", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cem-bench: error: ") and "\n" not in err and message in err
    assert not (tmp_path / "out").exists()


def test_a_result_name_taken_by_a_folder_is_refused_before_the_crop_is_written(tmp_path, capsys):
    (tmp_path / "out" / "bicubic-x4" / "cem.png").mkdir(parents=True)
    assert main(["demo", "--quiet", "--out", str(tmp_path / "out")]) == 2
    assert "cem.png is a folder where a file will be written" in capsys.readouterr().err
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["bicubic-x4"]  # no crop, no other model's folder
