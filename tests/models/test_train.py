"""Retraining the zoo (CI): a shortened schedule learns, its first steps are bitwise reproducible, and
`cem-bench train` writes weights, summary and a card that loads and scores."""

from __future__ import annotations

import json

import pytest
import torch
import yaml
from conftest import needs_sun_hays

from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import file_sha256
from cem_bench.models.loading import load_model
from cem_bench.models.train.loop import train
from cem_bench.models.train.recipe import TrainConfig, read_config

TINY = {
    "name": "zoo-test-tiny",
    "description": "test-only tiny same-size model",
    "finding": 3,
    "pair": "test",
    "differs": "nothing",
    "paper": "test configuration",
    "architecture": {"source": "project", "name": "zoo_rcan",
                     "kwargs": {"num_feat": 8, "num_group": 1, "num_block": 1, "squeeze_factor": 2, "upscale": 1}},
    "scale": 1,
    "pre_upsample": True,
    "tasks": [{"task": "dn", "levels": [50]}, {"task": "sr", "levels": [4]}],
    "train": {"seed": 3, "iterations": 40, "batch": 4, "patch": 16, "lr": 3e-3, "lr_min": 1e-3, "validate_every": 40},
}


def config(**train) -> TrainConfig:
    return TrainConfig.model_validate({**TINY, "train": {**TINY["train"], **train}})


def test_short_schedule_decreases_the_loss():
    run = train(config())
    assert len(run.losses) == 40
    first, last = sum(run.losses[:8]) / 8, sum(run.losses[-8:]) / 8
    assert last < 0.8 * first, (first, last)
    assert set(run.validation) == {"dn-s50", "sr-x4"}
    assert run.validation["dn-s50"]["psnr"] > run.validation["dn-s50"]["baseline"]  # denoising is learnt fast
    assert torch.get_num_threads() >= 1 and not torch.are_deterministic_algorithms_enabled()  # restored


def test_first_steps_are_bitwise_deterministic():
    runs = [train(config(iterations=3)) for _ in range(2)]
    assert runs[0].losses == runs[1].losses
    states = [run.network.state_dict() for run in runs]
    assert all(torch.equal(states[0][key], states[1][key]) for key in states[0])
    other = train(config(iterations=3, seed=4))
    assert other.losses != runs[0].losses  # the seed matters


def test_train_command_writes_a_loadable_card(tmp_path, capsys):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({**TINY, "tasks": [{"task": "dn", "levels": [50]}]}))  # beats its baseline
    out = tmp_path / "out"
    assert main(["train", str(path), "--out", str(out), "--iterations", "40", "--quiet"]) == 0
    summary = json.loads((out / "zoo-test-tiny.train.json").read_text())
    assert summary["iterations"] == 40 and summary["weights_sha256"] == file_sha256(out / "zoo-test-tiny.pt")
    card_path = out / "zoo-test-tiny.yaml"
    card = yaml.safe_load(card_path.read_text())
    assert card["weights"] == {"file": "zoo-test-tiny.pt", "sha256": summary["weights_sha256"]}
    assert card["input"]["pre_upsample"] is True
    model = load_model(card_path)
    assert model.parameter_count() == summary["params"]
    assert "dn-s50" in capsys.readouterr().out


def test_train_command_refuses_a_shortened_run_over_the_zoo(tmp_path, capsys):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    assert main(["train", str(path), "--iterations", "2"]) == 2
    assert "give --out" in capsys.readouterr().err


def test_an_empty_out_is_refused_not_taken_for_the_zoo(tmp_path, capsys, monkeypatch):
    import cem_bench.models.train.loop as loop

    monkeypatch.setattr(loop, "train", lambda *args, **kwargs: pytest.fail("trained with --out ''"))
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    assert main(["train", str(path), "--out", "", "--iterations", "2", "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == "cem-bench: error: --out is empty; name a folder"


def test_train_command_refuses_an_unusable_out_before_training(tmp_path, capsys, monkeypatch):
    import cem_bench.models.train.loop as loop

    monkeypatch.setattr(loop, "train", lambda *args, **kwargs: pytest.fail("trained before checking --out"))
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY))
    taken = tmp_path / "a-file"
    taken.write_text("")
    assert main(["train", str(path), "--out", str(taken), "--iterations", "2", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"cem-bench: error: --out {taken} is an existing file, not a folder"


@pytest.mark.parametrize("change, message", [
    ({"scale": 4}, "pre-upsampled"),
    ({"pre_upsample": False}, "differ from the network scale"),
    ({"name": "tiny"}, "name"),
    ({"tasks": [{"task": "dn", "levels": [25, 50]}]}, "one level"),
])
def test_bad_configs_are_one_line_errors(tmp_path, change, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**TINY, **change}))
    with pytest.raises(CemBenchError, match=message):
        read_config(path)


@needs_sun_hays
def test_a_sun_hays_smoke_run_validates_on_the_held_out_photographs():
    sun = TrainConfig.model_validate({**TINY, "data": "sun-hays80", "train": {**TINY["train"], "iterations": 2}})
    run = train(sun)
    assert len(run.losses) == 2 and set(run.validation) == {"dn-s50", "sr-x4"}
    assert run.validation["dn-s50"]["baseline"] != train(config(iterations=1)).validation["dn-s50"]["baseline"]
