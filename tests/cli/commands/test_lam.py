"""The `cem-bench lam` contract: result.json + lam.png on success; one line, exit 2, nothing written on bad input."""

from __future__ import annotations

import pytest
from PIL import Image

from cem_bench.cli import main
from cem_bench.core.images import read_rgb
from cem_bench.records.io import read_result


@pytest.fixture(scope="module")
def gt_png(tmp_path_factory):
    path = tmp_path_factory.mktemp("images") / "gt.png"
    Image.fromarray(read_rgb("skimage:coffee")[120:168, 300:348]).save(path)
    return path


def lam_args(gt_png, out, *extra):
    return ["lam", "--model", "bicubic-x2", "--image", str(gt_png), "--roi", "16,16", "--steps", "4",
            "--device", "cpu", "--quiet", "--out", str(out), *extra]


def test_lam_writes_result_and_heatmap(gt_png, tmp_path, capsys):
    assert main(lam_args(gt_png, tmp_path / "run", "--batch-size", "2", "--blur-sigma", "2", "--kernel-size", "7")) == 0
    record = read_result(tmp_path / "run" / "result.json", schema="lam")
    assert record["method"]["id"] == "lam-v1/blur-s2-k7/n4-right" and record["window"]["size"] == 16
    assert record["environment"]["batch_size"] == 2 and len(record["attribution"]) == 24
    assert (tmp_path / "run" / "lam.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "LAM DI" in capsys.readouterr().out


@pytest.mark.parametrize(("change", "message"), [
    ({"--model": "box-blur-3"}, "super-resolution models only"),
    ({"--roi": "40,16"}, "not inside the 48x48 output"),
    ({"--kernel-size": "8"}, "positive odd number"),
    ({"--steps": "0"}, "at least 1 integration step"),
    ({"--blur-sigma": "0"}, "sigma must be positive"),
    ({"--image": "missing.png"}, "image not found"),
    ({"--model": "bicubc-x2"}, "unknown model"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(gt_png, tmp_path, capsys, change, message):
    args = lam_args(gt_png, tmp_path / "out")
    for flag, value in change.items():
        if flag in args:
            args[args.index(flag) + 1] = value
        else:
            args += [flag, value]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cem-bench: error: ") and "\n" not in err and message in err
    assert not (tmp_path / "out").exists()


def test_an_output_name_taken_by_a_folder_is_refused_before_any_work(gt_png, tmp_path, capsys):
    (tmp_path / "out" / "result.json").mkdir(parents=True)
    assert main(lam_args(gt_png, tmp_path / "out")) == 2
    assert "result.json is a folder where a file will be written" in capsys.readouterr().err
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["result.json"]  # no lam.png left behind
