"""Trainings carried between sessions (training/README.md): every committed checkpoint resumes under the
config committed beside it (a finished one, kept for its pair, then writes its outputs again) and replaces a
model the zoo already plans."""

from __future__ import annotations

from pathlib import Path

import pytest

from cem_bench.core.errors import CemBenchError
from cem_bench.models.train import checkpoint
from cem_bench.models.train.recipe import read_config

ROOT = Path(__file__).resolve().parents[2]
CARRIED = ROOT / "training"
ZOO_CONFIGS = ROOT / "model_registry" / "zoo" / "configs"
SUFFIX = checkpoint.SUFFIX


def carried_problems(folder: Path, zoo_configs: Path) -> list[str]:
    """What would stop the trainings in ``folder`` from resuming in the next session, one line each."""
    problems = []
    checkpoints = {path.name[: -len(SUFFIX)]: path for path in folder.glob(f"*{SUFFIX}")}
    configs = {path.stem: path for path in folder.glob("*.yaml")}
    for name in sorted(set(configs) - set(checkpoints)):
        problems.append(f"{name}: config without a checkpoint")
    for name, path in sorted(checkpoints.items()):
        if name not in configs:
            problems.append(f"{name}: checkpoint without its config {name}.yaml")
            continue
        config = read_config(configs[name])
        if config.name != name:
            problems.append(f"{name}: its config trains {config.name}")
        if not (zoo_configs / f"{name}.yaml").exists():
            problems.append(f"{name}: not a model of the zoo ({zoo_configs.name}/{name}.yaml missing)")
        try:
            state = checkpoint.load(path, config)
        except CemBenchError as error:
            problems.append(f"{name}: {error}")
            continue
        if int(state["iteration"]) > config.train.iterations:
            problems.append(f"{name}: {state['iteration']} iterations, more than its config's")
    return problems


def test_committed_trainings_resume() -> None:
    assert carried_problems(CARRIED, ZOO_CONFIGS) == []


TINY = {"name": "zoo-test-tiny", "description": "test-only tiny same-size model", "finding": 3, "pair": "test",
        "differs": "nothing", "paper": "test configuration",
        "architecture": {"source": "project", "name": "zoo_rcan",
                         "kwargs": {"num_feat": 8, "num_group": 1, "num_block": 1, "squeeze_factor": 2, "upscale": 1}},
        "scale": 1, "tasks": [{"task": "dn", "levels": [50]}],
        "train": {"seed": 3, "iterations": 6, "batch": 2, "patch": 16, "lr": 3e-3, "lr_min": 1e-3, "validate_every": 6}}


def carry_interrupted_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A carried folder holding a real checkpoint of a run stopped after iteration 2 of 6, and a zoo that plans it."""
    import yaml

    from cem_bench.models.train import loop
    from cem_bench.models.train.checkpoint import Checkpointing

    carried, zoo = tmp_path / "training", tmp_path / "configs"
    carried.mkdir()
    zoo.mkdir()
    for folder in (carried, zoo):
        (folder / "zoo-test-tiny.yaml").write_text(yaml.safe_dump(TINY))
    make_batch, made = loop.make_batch, []

    def stop_in_iteration_3(*args, **kwargs):
        made.append(1)
        if len(made) == 3:
            raise KeyboardInterrupt  # a session ending after the checkpoint of iteration 2
        return make_batch(*args, **kwargs)

    monkeypatch.setattr(loop, "make_batch", stop_in_iteration_3)
    with pytest.raises(KeyboardInterrupt):
        loop.train(read_config(carried / "zoo-test-tiny.yaml"),
                   checkpointing=Checkpointing(carried / f"zoo-test-tiny{SUFFIX}", every=1))
    monkeypatch.setattr(loop, "make_batch", make_batch)
    return carried, zoo


def test_an_interrupted_run_is_carried_and_each_problem_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cem_bench.models.train.checkpoint import Checkpointing
    from cem_bench.models.train.loop import train

    carried, zoo = carry_interrupted_run(tmp_path, monkeypatch)
    config, ckpt = carried / "zoo-test-tiny.yaml", carried / f"zoo-test-tiny{SUFFIX}"
    assert carried_problems(carried, zoo) == []
    config.write_text(config.read_text().replace("iterations: 6", "iterations: 7"))
    assert carried_problems(carried, zoo) == [
        f"zoo-test-tiny: checkpoint {ckpt} was written for another config (differs in train.iterations): "
        "resume with the same config and --iterations, or delete it to start over"]
    config.write_text(config.read_text().replace("iterations: 7", "iterations: 6"))
    (zoo / "zoo-test-tiny.yaml").unlink()
    assert carried_problems(carried, zoo) == ["zoo-test-tiny: not a model of the zoo (configs/zoo-test-tiny.yaml missing)"]
    # a finished member waiting for its pair is carried too (its final checkpoint, --keep-checkpoint)
    train(read_config(config), checkpointing=Checkpointing(ckpt, every=1, resume=True))
    assert carried_problems(carried, zoo) == ["zoo-test-tiny: not a model of the zoo (configs/zoo-test-tiny.yaml missing)"]
    config.unlink()
    assert carried_problems(carried, zoo) == ["zoo-test-tiny: checkpoint without its config zoo-test-tiny.yaml"]
    ckpt.unlink()
    (carried / "stray.yaml").write_text("name: stray\n")
    assert carried_problems(carried, zoo) == ["stray: config without a checkpoint"]
