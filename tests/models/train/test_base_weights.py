"""Fine-tuning from published weights (a config's ``init``): what is loaded, what is new, what is refused,
and what the outputs record. A tiny BSRN checkpoint in a temporary assets folder stands in for the shared one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import file_sha256
from cem_bench.models.card import ModelCard
from cem_bench.models.train import loop
from cem_bench.models.train.base_weights import load_base
from cem_bench.models.train.checkpoint import Checkpointing, config_changes
from cem_bench.models.train.loop import parameter_groups, train
from cem_bench.models.train.outputs import card, write_outputs
from cem_bench.models.train.recipe import InitFrom, TrainConfig
from model_registry.archs.bsrn import BSRN

TINY_BSRN = {"upscale": 4, "nf": 16, "num_blocks": 2}
NEW = ("B*.cca.*",)


@pytest.fixture
def assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An assets folder holding ``checkpoints/sr/tiny.pth``: a tiny published-style BSRN under ``params``."""
    monkeypatch.setenv("CEM_BENCH_ASSETS", str(tmp_path / "assets"))
    torch.manual_seed(11)
    path = tmp_path / "assets" / "checkpoints" / "sr" / "tiny.pth"
    path.parent.mkdir(parents=True)
    torch.save({"params": BSRN(**TINY_BSRN).state_dict()}, path)
    return path


def init(path: Path, new: tuple[str, ...] = NEW, **fields) -> InitFrom:
    return InitFrom.model_validate({"file": "sr/tiny.pth", "sha256": file_sha256(path), "key": "params", "new": new,
                                    **fields})


def network(attention: str = "channel", window: int = 4, seed: int = 0) -> BSRN:
    torch.manual_seed(seed)
    return BSRN(**TINY_BSRN, attention=attention, window=window)


def test_base_weights_load_and_the_network_starts_as_the_published_one(assets: Path):
    base = BSRN(**TINY_BSRN).eval()
    base.load_state_dict(torch.load(assets)["params"])
    tuned = network()
    loaded = load_base(tuned, init(assets), seed=0)
    assert loaded.new_keys == tuple(f"B{b}.cca.conv_du.{i}.{p}" for b in (1, 2) for i in (0, 2) for p in ("weight", "bias"))
    state = tuned.state_dict()
    assert all(torch.equal(state[key], value) for key, value in base.state_dict().items())
    x = torch.rand(1, 3, 20, 18)
    with torch.no_grad():
        assert torch.equal(tuned.eval()(x), base(x))


def test_new_layers_come_from_the_seed_alone(assets: Path):
    """Whatever the members built or drew before, the same seed gives the same new layers; the global RNG is kept."""
    members = [network("channel", seed=1), network("window", window=16, seed=2)]
    torch.rand(7)  # the global random state moves between the two loads
    before = torch.get_rng_state()
    loaded = [load_base(member, init(assets), seed=3).new_keys for member in members]
    assert torch.equal(torch.get_rng_state(), before)
    assert loaded[0] == loaded[1]
    states = [member.state_dict() for member in members]
    assert all(torch.equal(states[0][key], states[1][key]) for key in loaded[0])
    other = network("channel")
    load_base(other, init(assets), seed=4)
    assert not torch.equal(other.state_dict()["B1.cca.conv_du.0.weight"], states[0]["B1.cca.conv_du.0.weight"])
    assert not states[0]["B1.cca.conv_du.2.weight"].any()  # the expand conv starts at zero: gate exactly 1


def test_a_member_without_new_layers_loads_everything(assets: Path):
    assert load_base(network("none"), init(assets), seed=0).new_keys == ()


@pytest.mark.parametrize("change, message", [
    ("unannounced", "missing and not in init.new: B1.cca.conv_du.0.weight"),
    ("unexpected", "not in the network: extra.weight"),
    ("shape", "of another shape: B1.cw"),
    ("too broad", "in the checkpoint but matched by init.new: B1.cw"),
])
def test_anything_but_the_announced_new_layers_is_refused(assets: Path, change: str, message: str):
    state = torch.load(assets)["params"]
    new = NEW
    if change == "unannounced":
        new = ()
    elif change == "unexpected":
        state["extra.weight"] = torch.zeros(1)
    elif change == "shape":
        state["B1.cw"] = torch.ones(1, 15)
    else:
        new = (*NEW, "B1.cw")
    torch.save({"params": state}, assets)
    with pytest.raises(CemBenchError, match=message.replace(".", r"\.")):
        load_base(network(), init(assets, new), seed=0)


def test_a_changed_or_absent_base_is_one_line(assets: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    with pytest.raises(CemBenchError, match="init.sha256 says 000000000000"):
        load_base(network(), init(assets, sha256="0" * 64), seed=0)
    monkeypatch.setenv("CEM_BENCH_ASSETS", str(tmp_path / "nowhere"))
    with pytest.raises(CemBenchError, match="needs the shared assets' checkpoints/sr/tiny.pth: set CEM_BENCH_ASSETS") as error:
        load_base(network(), init(assets), seed=0)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("file", ["/abs/tiny.pth", "../tiny.pth", "sr/../../x.pth"])
def test_init_files_stay_inside_the_checkpoints_folder(file: str):
    with pytest.raises(ValueError, match="relative to the shared assets"):
        InitFrom.model_validate({"file": file, "sha256": "a" * 64})


def tiny_config(assets: Path, name: str = "zoo-test-bsrn-ca", attention: str = "channel", samples: str = "pair") -> TrainConfig:
    return TrainConfig.model_validate({
        "name": name, "description": "test-only fine-tuned tiny BSRN", "finding": 2, "pair": "test-bsrn",
        "differs": attention, "paper": "test", "scale": 4, "tasks": [{"task": "sr", "levels": [4]}],
        "architecture": {"source": "project", "name": "bsrn", "kwargs": {**TINY_BSRN, "attention": attention}},
        "init": init(assets).model_dump(),
        "train": {"iterations": 2, "batch": 2, "patch": 64, "lr": 1e-4, "lr_min": 1e-6, "samples": samples}})


def test_fine_tuning_is_recorded_in_summary_and_card(assets: Path, tmp_path: Path):
    config = tiny_config(assets)
    run = train(config)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json")))
    written = write_outputs(config, path, run, tmp_path, tmp_path)
    summary = json.loads(written["summary"].read_text())
    assert summary["fine_tuned_from"] == {"file": "sr/tiny.pth", "sha256": file_sha256(assets),
                                          "new_parameters": list(run.new_keys)} and len(run.new_keys) == 8
    # The card as written once a model beats its baseline (two steps from a random base need not).
    entry = ModelCard.model_validate(card(config, path, run, "w.pt", "0" * 64))
    assert entry.training.fine_tuned_from.new_parameters == list(run.new_keys)
    assert f"Fine-tuned from tiny (sha256 {file_sha256(assets)}" in entry.origin.notes
    assert "for 2 iterations; the 8 parameter tensor(s) it lacks (B*.cca.*) started from seed 0" in entry.origin.notes
    assert "fine_tuned_from" not in ModelCard.model_validate(
        card(config.model_copy(update={"init": None}), path, run, "w.pt", "0" * 64)).model_dump()["training"]


def test_pair_sampling_gives_every_member_the_same_batches(assets: Path):
    """samples: pair seeds the patches by the pair id: two members that differ only in name train identically."""
    first, second = (train(tiny_config(assets, name, "none")) for name in ("zoo-test-a", "zoo-test-b"))
    assert first.losses == second.losses
    assert train(tiny_config(assets, "zoo-test-b", "none", samples="name")).losses != first.losses


def test_a_checkpoint_from_before_a_new_default_field_still_resumes(assets: Path):
    config = tiny_config(assets, samples="name")
    saved = config.model_dump(mode="json")
    del saved["train"]["samples"]
    assert config_changes(saved, config) == []
    assert config_changes(saved, tiny_config(assets)) == ["train.samples"]


def test_new_layers_get_their_own_learning_rate(assets: Path):
    tuned = network()
    new_keys = load_base(tuned, init(assets), seed=0).new_keys
    groups = parameter_groups(tuned, 1e-3, new_keys)
    names = {id(p): name for name, p in tuned.named_parameters()}
    assert {names[id(p)] for p in groups[1]["params"]} == set(new_keys) and groups[1]["lr"] == 1e-3
    assert len(groups[0]["params"]) + len(groups[1]["params"]) == len(names) and "lr" not in groups[0]
    assert len(parameter_groups(tuned, None, new_keys)) == 1  # lr_new unset: one learning rate for all


def test_lr_new_needs_init(assets: Path):
    config = tiny_config(assets).model_dump(mode="json")
    config["train"]["lr_new"] = 1e-3
    TrainConfig.model_validate(config)
    with pytest.raises(ValueError, match="lr_new is the learning rate of the layers init lacks"):
        TrainConfig.model_validate({**config, "init": None})


def test_a_fine_tuning_run_resumes_bitwise(assets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Two learning rates (published and new layers) and the seeded new layers survive a crash and resume."""
    config = tiny_config(assets).model_dump(mode="json")
    config["train"] |= {"iterations": 4, "lr_new": 1e-3}
    tuned = TrainConfig.model_validate(config)
    uninterrupted = train(tuned)
    make_batch, made = loop.make_batch, []

    def crash_in_iteration_3(*args, **kwargs):
        made.append(1)
        if len(made) == 3:
            raise KeyboardInterrupt
        return make_batch(*args, **kwargs)

    monkeypatch.setattr(loop, "make_batch", crash_in_iteration_3)
    path = tmp_path / "tuned.train.ckpt"
    with pytest.raises(KeyboardInterrupt):
        train(tuned, checkpointing=Checkpointing(path, 2))
    monkeypatch.setattr(loop, "make_batch", make_batch)
    resumed = train(tuned, checkpointing=Checkpointing(path, 2, resume=True))
    assert resumed.resumed_at == [2] and resumed.losses == uninterrupted.losses
    first, second = uninterrupted.network.state_dict(), resumed.network.state_dict()
    assert all(torch.equal(first[key], second[key]) for key in first)
