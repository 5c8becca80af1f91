"""Resumable training: a run killed (in-process, or a subprocess by SIGKILL) and resumed from its last
checkpoint ends bitwise where the uninterrupted run does; checkpoints are never silently overwritten or
resumed under another config; the card carries the run's provenance."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from test_train import TINY, config

from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import file_sha256
from cem_bench.models import read_card
from cem_bench.models.train import checkpoint, loop
from cem_bench.models.train.checkpoint import Checkpointing
from cem_bench.models.train.loop import train

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def without_seconds(history: list[dict]) -> list[dict]:
    return [{key: value for key, value in entry.items() if key != "seconds"} for entry in history]


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    first, second = a.state_dict(), b.state_dict()
    return first.keys() == second.keys() and all(torch.equal(first[key], second[key]) for key in first)


def test_rng_states_round_trip():
    state = checkpoint.capture_rng()
    expected = (torch.rand(3), np.random.rand(3), random.random())
    checkpoint.restore_rng(state)
    again = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(expected[0], again[0]) and np.array_equal(expected[1], again[1]) and expected[2] == again[2]


def test_a_crash_between_checkpoints_resumes_bitwise(tmp_path, monkeypatch):
    tiny = config(iterations=12, validate_every=5)
    uninterrupted = train(tiny)
    batches = {"made": 0}
    make_batch = loop.make_batch

    def crash_in_iteration_10(*args, **kwargs):
        batches["made"] += 1
        if batches["made"] == 10:
            raise KeyboardInterrupt  # after the checkpoint of iteration 8, before any of 10
        return make_batch(*args, **kwargs)

    monkeypatch.setattr(loop, "make_batch", crash_in_iteration_10)
    path = tmp_path / "tiny.train.ckpt"
    with pytest.raises(KeyboardInterrupt):
        train(tiny, checkpointing=Checkpointing(path, 4))
    assert torch.load(path, weights_only=True)["iteration"] == 8
    monkeypatch.setattr(loop, "make_batch", make_batch)
    resumed = train(tiny, checkpointing=Checkpointing(path, 4, resume=True))
    assert resumed.resumed_at == [8]
    assert same_weights(uninterrupted.network, resumed.network)
    assert resumed.losses == uninterrupted.losses
    assert without_seconds(resumed.history) == without_seconds(uninterrupted.history)
    assert torch.load(path, weights_only=True)["iteration"] == 12  # saved after the last iteration too


def test_a_checkpoint_is_neither_overwritten_nor_resumed_under_another_config(tmp_path):
    path = tmp_path / "tiny.train.ckpt"
    train(config(iterations=2), checkpointing=Checkpointing(path, 1))
    with pytest.raises(CemBenchError, match="--resume"):
        train(config(iterations=2), checkpointing=Checkpointing(path, 1))
    with pytest.raises(CemBenchError, match=r"differs in train\.iterations"):
        train(config(iterations=3), checkpointing=Checkpointing(path, 1, resume=True))
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CemBenchError, match="cannot read checkpoint"):
        train(config(iterations=2), checkpointing=Checkpointing(path, 1, resume=True))


def tiny_config_file(folder: Path) -> Path:
    path = folder / "tiny.yaml"
    train_settings = {**TINY["train"], "iterations": 80}
    path.write_text(yaml.safe_dump({**TINY, "tasks": [{"task": "dn", "levels": [50]}], "train": train_settings}))
    return path


def test_kill_9_mid_run_then_resume_gives_the_uninterrupted_result(tmp_path):
    path = tiny_config_file(tmp_path)
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    checkpoint_file = killed / "zoo-test-tiny.train.ckpt"
    command = [sys.executable, "-m", "cem_bench.cli", "train", str(path), "--out", str(killed), "--checkpoint-every",
               "2", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    deadline = time.monotonic() + 300
    while not checkpoint_file.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, process.stderr.read() if process.stderr else ""
    stopped_at = torch.load(checkpoint_file, weights_only=True)["iteration"]
    assert 2 <= stopped_at < 80  # killed mid-run, after at least one checkpoint

    assert main(["train", str(path), "--out", str(killed), "--checkpoint-every", "2", "--resume", "--quiet"]) == 0
    assert main(["train", str(path), "--out", str(whole), "--quiet"]) == 0
    name = "zoo-test-tiny"
    assert file_sha256(killed / f"{name}.pt") == file_sha256(whole / f"{name}.pt")
    resumed, uninterrupted = (json.loads((folder / f"{name}.train.json").read_text()) for folder in (killed, whole))
    assert without_seconds(resumed["history"]) == without_seconds(uninterrupted["history"])
    assert resumed["resumed_at"] == [stopped_at] and uninterrupted["resumed_at"] == []
    assert not checkpoint_file.exists()  # removed once the outputs were written
    card = read_card(killed / f"{name}.yaml")
    assert card.training is not None and card.training.resumed_at == [stopped_at]


def test_a_kept_final_checkpoint_writes_the_same_outputs_again_without_training(tmp_path):
    """--keep-checkpoint carries a finished member to a later session (training/README.md)."""
    path = tiny_config_file(tmp_path)
    first, again = tmp_path / "first", tmp_path / "again"
    checkpoint_file = tmp_path / "carried.train.ckpt"
    assert main(["train", str(path), "--out", str(first), "--iterations", "6", "--checkpoint", str(checkpoint_file),
                 "--keep-checkpoint", "--quiet"]) == 0
    assert torch.load(checkpoint_file, weights_only=True)["iteration"] == 6
    assert main(["train", str(path), "--out", str(again), "--iterations", "6", "--checkpoint", str(checkpoint_file),
                 "--resume", "--quiet"]) == 0
    name = "zoo-test-tiny"
    assert file_sha256(again / f"{name}.pt") == file_sha256(first / f"{name}.pt")
    before, after = (json.loads((folder / f"{name}.train.json").read_text()) for folder in (first, again))
    assert after["history"] == before["history"] and after["resumed_at"] == before["resumed_at"] == []
    assert not checkpoint_file.exists()  # without --keep-checkpoint it goes once the outputs are written


def test_the_card_records_iterations_wall_time_and_validation_curve(tmp_path):
    path = tiny_config_file(tmp_path)
    assert main(["train", str(path), "--out", str(tmp_path), "--iterations", "10", "--quiet"]) == 0
    card = read_card(tmp_path / "zoo-test-tiny.yaml")
    summary = json.loads((tmp_path / "zoo-test-tiny.train.json").read_text())
    training = card.training
    assert training is not None and training.iterations == 10 and training.data == "skimage"
    assert training.wall_seconds == summary["wall_seconds"] > 0 and training.validation_crops == 4
    assert [point.iteration for point in training.curve] == [10]  # validate_every 40 > 10: only the last
    assert training.curve[-1].psnr == {"dn-s50": summary["validation"]["dn-s50"]["psnr"]}
    assert "training" in card.model_dump()


def test_cards_without_training_provenance_dump_as_before():
    """A card whose YAML has no `training` block dumps without one (so its card_sha256 is unchanged), and
    one with the block keeps it: checked on every shipped card, both kinds present."""
    import yaml

    from cem_bench.models import get_card

    cards = sorted((Path(__file__).resolve().parents[2] / "model_registry" / "cards").glob("*.yaml"))
    has_block = {path.stem: "training" in yaml.safe_load(path.read_text()) for path in cards}
    assert set(has_block.values()) == {True, False}
    for name, expected in has_block.items():
        assert ("training" in get_card(name).model_dump(mode="json")) is expected, name


@pytest.mark.parametrize("flags, message", [(["--checkpoint-every", "0"], "--checkpoint-every must be at least 1")])
def test_bad_checkpoint_flags_are_one_line_errors(tmp_path, capsys, flags, message):
    path = tiny_config_file(tmp_path)
    assert main(["train", str(path), "--out", str(tmp_path), *flags]) == 2
    assert message in capsys.readouterr().err
