"""The `cem-bench score` contract: outputs on success; one line, exit 2 and nothing written on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from cem_bench.cli import main
from cem_bench.core.images import read_rgb


@pytest.fixture(scope="module")
def gt_png(tmp_path_factory):
    path = tmp_path_factory.mktemp("images") / "gt.png"
    Image.fromarray(read_rgb("skimage:coffee")[120:168, 300:348]).save(path)
    return path


def score_args(gt_png, out, *extra):
    return ["score", "--model", "box-blur-3", "--task", "dn", "--sigma", "25", "--image", str(gt_png),
            "--roi", "16,16,16", "--fine", "3", "--quiet", "--out", str(out), *extra]


def test_score_writes_result_and_heatmap(gt_png, tmp_path, capsys):
    assert main(score_args(gt_png, tmp_path / "run")) == 0
    record = json.loads((tmp_path / "run" / "result.json").read_text())
    assert record["task"]["sigma"] == 25 and record["protocol"]["fine"] == 3
    png = tmp_path / "run" / "cem.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    line = capsys.readouterr().out.splitlines()[0]
    assert record["psnr_gain"] == pytest.approx(record["psnr_roi"] - record["psnr_input"], abs=2e-6)
    assert (f"ROI PSNR {record['psnr_roi']:.2f} dB (input {record['psnr_input']:.2f} dB, "
            f"gain {record['psnr_gain']:+.2f} dB), blocks") in line


def write_card(tmp_path, file="card.yaml", **overrides):
    card = {"name": "broken", "description": "test", "tasks": [{"task": "dn"}], "scale": 1,
            "architecture": {"source": "module", "name": "helpers:nan_model"},
            "origin": {"paper": "none"}, "license": "MIT", **overrides}
    path = tmp_path / file
    path.write_text(json.dumps(card))
    return str(path)


@pytest.mark.parametrize(("change", "message"), [
    ({"--image": "missing.png"}, "image not found"),
    ({"--image": "CORRUPT"}, "cannot read image"),
    ({"--roi": "40,40,16"}, "not inside"),
    ({"--model": "dncnn-colour-blind"}, "unknown model 'dncnn-colour-blind' (did you mean dncnn-color-blind"),
    ({"--block": "7"}, "bank skimage-8 holds 8px patches"),
    ({"--batch-size": "0"}, "--batch-size must be at least 1, got 0"),
    ({"--screen-margin": "100000000000000000000"}, "--screen-margin must be between 0 and 65536 blocks"),
    ({"--screen-margin": "-1"}, "--screen-margin must be between 0 and 65536 blocks, got -1"),
    ({"--bank": "nope-8"}, "unknown patch bank"),
    ({"--model": "CARD_NAN"}, "NaN"),
    ({"--model": "bicubic-x4"}, "is for task(s) sr, not dn"),
    ({"--task": "sr", "--sigma": None, "--model": "CARD_X1"}, "upscales x1, but task sr-x4 needs x4"),
    ({"--task": "sr", "--sigma": None, "--model": "bicubic-x4", "--block": "6"}, "does not fit scale 4"),
    ({"--model": "CARD_SMALL"}, "model broken failed on dn-s25 with a 48x48 input (width x height): the 48x48 input is "
                                "too small for the network"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(gt_png, tmp_path, capsys, change, message):
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    replacements = {"CORRUPT": str(corrupt), "CARD_NAN": write_card(tmp_path),
                    "CARD_X1": write_card(tmp_path, "x1.yaml", tasks=[{"task": "sr"}]),
                    "CARD_SMALL": write_card(tmp_path, "small.yaml", architecture={
                        "source": "module", "name": "helpers:NeedsLargeInput", "kwargs": {"min_side": 64}})}
    args = score_args(gt_png, tmp_path / "out")
    for flag, value in change.items():
        if flag not in args:
            args += [flag, replacements.get(value, value)]
        elif value is None:
            del args[args.index(flag) : args.index(flag) + 2]
        else:
            args[args.index(flag) + 1] = replacements.get(value, value)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cem-bench: error: ") and "\n" not in err and message in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("blocked", ["result.json", "cem.png", ".cem-partial.json", "cem-16-16-16.png"])
def test_an_output_name_taken_by_a_folder_is_refused_before_any_work(gt_png, tmp_path, capsys, blocked):
    out = tmp_path / "out"
    (out / blocked).mkdir(parents=True)
    extra = ("--roi", "24,24,16") if blocked.startswith("cem-") else ()  # several ROIs: one heatmap per ROI
    assert main(score_args(gt_png, out, *extra)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cem-bench: error: --out ") and "\n" not in err and f"{blocked} is a folder where a file will be written" in err
    assert sorted(path.name for path in out.iterdir()) == [blocked]  # no heatmap or partial result left behind


def test_unknown_task_is_a_usage_error(gt_png, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(score_args(gt_png, tmp_path / "out", "--task", "deblur"))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("cem-bench score: error: argument --task: invalid choice: 'deblur' (choose from ")
    assert err.endswith(" (see `cem-bench score --help`)\n") and err.count("\n") == 1


def test_console_script_exit_code(tmp_path):
    done = subprocess.run([sys.executable, "-m", "cem_bench.cli", "score", "--model", "nope", "--task", "dn",
                           "--image", "skimage:coffee", "--roi", "0,0", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_models_list_shows_analytic_and_real_models(capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("identity", "box-blur-5", "nearest-x4", "bicubic-x4", "dncnn-color-blind"):
        assert name in out


def test_score_and_run_take_a_backend(gt_png, tmp_path, monkeypatch, capsys):
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("CEM_BENCH_CACHE", str(tmp_path / "cache"))
    assert main(score_args(gt_png, tmp_path / "score", "--backend", "onnxruntime", "--device", "cpu")) == 0
    backend = json.loads((tmp_path / "score" / "result.json").read_text())["environment"]["backend"]
    assert backend["requested"] == backend["used"] == "onnxruntime" and backend["fallbacks"] == []
    suite = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_suite.yaml"
    assert main(["run", "--suite", str(suite), "--models", "box-blur-3", "--out", str(tmp_path / "run"),
                 "--device", "cpu", "--quiet", "--no-summary", "--backend", "onnxruntime"]) == 0
    units = list((tmp_path / "run" / "tiny" / ".units").glob("*.json"))
    assert len(units) == 1 and json.loads(units[0].read_text())["environment"]["backend"]["used"] == "onnxruntime"
    capsys.readouterr()
    assert main(score_args(gt_png, tmp_path / "fast", "--backend", "onnxruntime", "--fast")) == 2
    assert capsys.readouterr().err == "cem-bench: error: --backend must be torch for a fast protocol (got 'onnxruntime')\n"


def test_every_command_help_renders():
    """argparse expands each help string only when --help is asked: a stray % there is a traceback."""
    from cem_bench.cli import build_parser

    parser = build_parser()
    commands = next(action for action in parser._actions if isinstance(getattr(action, "choices", None), dict))
    for name, sub in commands.choices.items():
        assert "usage:" in sub.format_help(), name


def test_a_suite_run_refuses_batch_size_0_before_any_unit(tmp_path, capsys):
    assert main(["run", "--suite", "quick", "--models", "identity", "--batch-size", "0", "--quiet",
                 "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == "cem-bench: error: --batch-size must be at least 1, got 0"
    assert not (tmp_path / "out").exists()
