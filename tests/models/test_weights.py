"""Safe loading: verified, weights-only checkpoints; clear refusals otherwise."""

from __future__ import annotations

import pytest
import torch

from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import file_sha256
from cem_bench.models.card import ModelCard
from cem_bench.models.loading import load_model, load_strict
from cem_bench.models.weights import read_state_dict, resolve_weights
from model_registry.archs.analytic import BoxBlur


class Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


def tiny() -> torch.nn.Module:
    return Tiny()


def card_for(path, sha256=None, **weights) -> ModelCard:
    return ModelCard.model_validate({
        "name": "tiny", "description": "test", "tasks": [{"task": "dn"}],
        "architecture": {"source": "module", "name": "test_weights:tiny"},
        "weights": {"file": str(path), "sha256": sha256 or file_sha256(path), **weights},
        "origin": {"paper": "none"}, "license": "MIT",
    })


def test_state_dict_loads_and_verifies(tmp_path):
    path = tmp_path / "tiny.pth"
    torch.save({"params": {f"module.{k}": v for k, v in Tiny().state_dict().items()}}, path)
    model = load_model(card_for(path, key="params", strip_prefix="module."), weights=path)  # --weights: the user's path
    assert model.weights_sha256 == file_sha256(path)
    assert model(torch.rand(1, 3, 8, 8)).shape == (1, 3, 8, 8)


def test_whole_pickled_model_is_refused(tmp_path):
    path = tmp_path / "whole.pth"
    torch.save(BoxBlur(3), path)  # needs code to unpickle
    with pytest.raises(CemBenchError, match="needs code to unpickle.*state_dict"):
        read_state_dict(path)


def test_wrong_sha256_and_missing_file(tmp_path):
    path = tmp_path / "tiny.pth"
    torch.save(Tiny().state_dict(), path)
    with pytest.raises(CemBenchError, match="sha256"):
        resolve_weights(card_for(path, sha256="0" * 64), explicit=path)
    with pytest.raises(CemBenchError, match="weights file not found"):
        resolve_weights(card_for(path), explicit=tmp_path / "nope.pth")
    missing = card_for(path).model_copy(update={"weights": card_for(path).weights.model_copy(update={"file": "nope/x.pth"})})
    with pytest.raises(CemBenchError, match="weights for tiny not found"):
        resolve_weights(missing)


def test_mismatched_state_dict_names_the_keys():
    state = Tiny().state_dict()
    state["extra.weight"] = torch.zeros(1)
    del state["conv.bias"]
    with pytest.raises(CemBenchError, match=r"missing \['conv.bias'\]; unexpected \['extra.weight'\]"):
        load_strict(Tiny(), state, "tiny")


def test_safetensors_are_read(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "tiny.safetensors"
    save_file(Tiny().state_dict(), str(path))
    assert set(read_state_dict(path)) == {"conv.weight", "conv.bias"}


def write_card_with_weights(folder, state) -> tuple:
    """A card file in ``folder/cards`` naming ``weights/tiny.pt`` relative to itself (a user's card may not climb
    out of its folder with ``../``; only the built-in zoo cards do, inside the model_registry package)."""
    import yaml

    from cem_bench.models.card import read_card

    weights = folder / "cards" / "weights" / "tiny.pt"
    weights.parent.mkdir(parents=True)
    torch.save(state, weights)
    path = folder / "cards" / "tiny.yaml"
    path.parent.mkdir(exist_ok=True)
    data = card_for(weights).model_dump(mode="json", exclude_none=True)
    data["weights"]["file"] = "weights/tiny.pt"
    path.write_text(yaml.safe_dump(data))
    return read_card(path), weights


def test_weights_are_found_relative_to_their_card(tmp_path, monkeypatch):
    from cem_bench.models.weights import find_weights, search_dirs

    monkeypatch.delenv("CEM_BENCH_WEIGHTS", raising=False)
    monkeypatch.setenv("CEM_BENCH_CACHE", str(tmp_path / "cache"))
    card, weights = write_card_with_weights(tmp_path / "repo", Tiny().state_dict())
    assert card.weights.card_dir == (tmp_path / "repo" / "cards").resolve()
    assert find_weights(card.weights).resolve() == weights.resolve()
    assert load_model(card).weights_sha256 == file_sha256(weights)
    # after $CEM_BENCH_WEIGHTS and the cache, before the shared assets
    dirs = search_dirs(card.weights.card_dir)
    assert dirs.index(tmp_path / "cache") < dirs.index(card.weights.card_dir)
    assert all(d.name != "checkpoints" for d in dirs[: dirs.index(card.weights.card_dir)])
    # a card built in code has no folder of its own
    assert card_for(weights).weights.card_dir is None


def test_weights_folders_and_cache_come_before_the_card_folder(tmp_path, monkeypatch):
    card, _ = write_card_with_weights(tmp_path / "repo", Tiny().state_dict())
    for variable in ("CEM_BENCH_WEIGHTS", "CEM_BENCH_CACHE"):
        override = tmp_path / variable
        override.mkdir()
        torch.save(Tiny().state_dict(), override / "tiny.pt")  # same name, other bytes
        monkeypatch.setenv("CEM_BENCH_CACHE", str(tmp_path / "empty-cache"))
        monkeypatch.setenv(variable, str(override))
        with pytest.raises(CemBenchError, match="sha256"):  # the earlier folder wins, then fails its check
            load_model(card)
        monkeypatch.delenv(variable)
