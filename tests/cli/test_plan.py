"""`cem-bench score` says what it is about to do before the first forward (the plan, on stderr) and
refuses a large run without --yes, as soon as it is known to be large and before any intervention: one
line, exit 2, nothing written. --quiet hides the plan, never the refusal."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import SlowModel
from PIL import Image

from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import read_rgb

ROOT = Path(__file__).resolve().parents[2]


def score_args(out, *extra):
    return ["score", "--model", "box-blur-3", "--task", "dn", "--sigma", "25", "--image", "skimage:coffee",
            "--roi", "16,16,16", "--fine", "3", "--device", "cpu", "--out", str(out), *extra]


def plan_lines(err: str) -> list[str]:
    return [line.removeprefix("cem-bench: plan: ") for line in err.splitlines() if line.startswith("cem-bench: plan: ")]


def test_plan_is_printed_before_the_run(tmp_path, capsys):
    assert main(score_args(tmp_path / "run")) == 0
    plan = plan_lines(capsys.readouterr().err)
    assert len(plan) == 4
    assert plan[0] == "image 600x400 (model input 600x400): 75x50 blocks of 8 px, 4 in the ROI, 3746 to sample"
    assert plan[1].startswith("at most 22,477 forwards: 1 + 11,238 coarse (3 per block) + at most 11,238 fine")
    assert plan[2].startswith("one forward took ") and "the screen first" in plan[2]
    assert plan[3].startswith("after the screen: 12 blocks to sample (3734 skipped), model input 32x32: at most 73 forwards")


def test_without_the_screen_the_timed_bound_is_the_plan(tmp_path, capsys):
    small = tmp_path / "small.png"
    Image.fromarray(read_rgb("skimage:coffee")[120:168, 300:348]).save(small)
    assert main(score_args(tmp_path / "run", "--image", str(small), "--no-accel", "--fine", "0", "--quiet")) == 0
    assert plan_lines(capsys.readouterr().err) == []
    assert main(score_args(tmp_path / "run2", "--image", str(small), "--no-accel", "--fine", "0")) == 0
    plan = plan_lines(capsys.readouterr().err)
    assert len(plan) == 3 and "for every block; peak memory" in plan[2] and "screen" not in plan[2]


@pytest.mark.parametrize("quiet", [[], ["--quiet"]], ids=["plain", "quiet"])
@pytest.mark.parametrize("limit", ["MAX_SECONDS", "MEMORY_FRACTION"])
def test_large_run_is_refused_without_yes(tmp_path, capsys, monkeypatch, quiet, limit):
    monkeypatch.setattr(f"cem_bench.pipeline.cost.{limit}", 0.0)
    assert main(score_args(tmp_path / "run", *quiet)) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == (1 if quiet else 4)  # refused after the timed forward: the screen never ran
    error = lines[-1]
    assert error.startswith("cem-bench: error: this run ") and "pass --yes to run it anyway" in error
    assert ("may take up to" in error) == (limit == "MAX_SECONDS")
    assert not (tmp_path / "run").exists()
    assert main(score_args(tmp_path / "run", "--yes", *quiet)) == 0
    assert (tmp_path / "run" / "result.json").is_file()


class GlobalMix(torch.nn.Module):
    """Every output pixel depends on every input pixel: the screen can skip nothing."""

    def forward(self, x):
        return 0.5 * x + 0.5 * x.mean(dim=(2, 3), keepdim=True)


def test_a_run_the_screen_cannot_shrink_is_refused_after_the_screen(monkeypatch, capsys):
    from cem_bench.cli.commands.score import gate
    from cem_bench.pipeline.scoring import score

    monkeypatch.setattr("cem_bench.pipeline.cost.MAX_SECONDS", 5.0)  # the screen: ~0.1 s; sampling: ~20 s bound
    image = read_rgb("skimage:coffee")[100:148, 200:260]
    interventions = []
    model = SlowModel(GlobalMix(), 0.01)
    model.register_forward_hook(lambda module, inputs, output: interventions.append(inputs[0].shape[0]))
    with pytest.raises(CemBenchError, match=r"^this run may take up to .* \(limit 5 s\); pass --yes"):
        score(model, "dn", image, "16,16,16", device="cpu", progress=False, on_cost=gate(quiet=False, confirmed=False))
    plan = plan_lines(capsys.readouterr().err)
    assert plan[-1].startswith("after the screen: 44 blocks to sample (0 skipped), model input 60x48")
    assert interventions == [1] * len(interventions) and len(interventions) <= 2 + 3 + 3  # timed, screen, crop


def test_a_megapixel_job_is_refused_in_seconds(tmp_path):
    """The issue's case: a large image, no screen, used to start silently for days. Now: the plan, then a refusal."""
    image = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)).save(image)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "cem_bench.cli", "score", "--model", "box-blur-5", "--task", "dn", "--no-accel",
               "--image", str(image), "--roi", "512,512", "--device", "cpu", "--out", str(tmp_path / "run")]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr[-2000:]
    assert lines[0] == ("cem-bench: plan: image 1024x1024 (model input 1024x1024): 128x128 blocks of 8 px, "
                        "16 in the ROI, 16368 to sample")
    assert lines[-1].startswith("cem-bench: error: this run may take up to ") and "--yes" in lines[-1]
    assert time.monotonic() - start < 300 and not (tmp_path / "run").exists()
