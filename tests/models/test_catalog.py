"""The user's own card folders (``$CEM_BENCH_CARDS``, ``--cards DIR``) join the registry, and ``models
show`` says where missing weights were looked for."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import file_sha256
from cem_bench.models import card_source, load_model, registered_cards
from cem_bench.models.catalog import CARDS_ENV, UserCardWarning, registry

PLUGIN_DIR = Path(__file__).resolve().parent / "plugin_example"


@pytest.fixture
def cards(tmp_path, monkeypatch) -> Path:
    """A user card folder holding the plug-in example's card, renamed, with its weights beside it."""
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    import cem_plugin_example

    folder = tmp_path / "my-cards"
    weights = cem_plugin_example.export_weights(folder)
    card = yaml.safe_load((PLUGIN_DIR / "tiny-denoiser.yaml").read_text())
    card.update(name="my-denoiser", weights={"file": weights.name, "sha256": file_sha256(weights)})
    (folder / "my-denoiser.yaml").write_text(yaml.safe_dump(card))
    monkeypatch.setenv(CARDS_ENV, "")  # restored at teardown: --cards sets it for the rest of the process
    registry.cache_clear()
    yield folder
    registry.cache_clear()


def test_env_folder_cards_are_registered_and_load(cards, monkeypatch):
    assert "my-denoiser" not in registered_cards()
    monkeypatch.setenv(CARDS_ENV, str(cards))
    assert card_source("my-denoiser") == f"user {cards}"
    model = load_model("my-denoiser")  # the weights beside the card are found (the folder is a search root)
    assert model(torch.rand(1, 3, 8, 8)).shape == (1, 3, 8, 8)


def test_cards_flag_lists_and_runs_the_user_model(cards, tmp_path, monkeypatch, capsys):
    suite = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_suite.yaml"
    assert main(["models", "list", "--task", "dn", "--cards", str(cards)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "my-denoiser" in line)
    assert "present" in row and f"user {cards}" in row
    out = tmp_path / "results"
    assert main(["run", "--suite", str(suite), "--cards", str(cards), "--out", str(out), "--tasks", "dn-s50",
                 "--models", "my-denoiser", "--device", "cpu", "--quiet"]) == 0
    assert (out / "tiny" / "dn-s50" / "my-denoiser.json").is_file()


def test_user_cards_are_in_the_models_all_plan(cards, monkeypatch):
    from cem_bench.pipeline.plan import plan
    from cem_bench.pipeline.suites import load_suite

    monkeypatch.setenv(CARDS_ENV, str(cards))
    units = plan(load_suite(Path(__file__).resolve().parents[1] / "fixtures" / "tiny_suite.yaml"))
    assert {unit.task.label for unit in units if unit.model == "my-denoiser"} == {"dn-s50"}


def test_a_missing_folder_is_an_error_and_a_bad_card_a_warning(cards, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(CARDS_ENV, str(tmp_path / "nope"))
    with pytest.raises(CemBenchError, match=f"{CARDS_ENV} names .*nope, which is not a folder"):
        registered_cards()
    monkeypatch.setenv(CARDS_ENV, "")
    assert main(["models", "list", "--cards", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.strip().endswith("--cards " + str(tmp_path / "nope") + " is not a folder")
    (cards / "broken.yaml").write_text("name: broken\n")
    monkeypatch.setenv(CARDS_ENV, str(cards))
    with pytest.warns(UserCardWarning, match="broken.yaml is skipped: invalid model card"):
        assert "my-denoiser" in registered_cards() and "broken" not in registered_cards()


def test_a_name_clash_with_a_builtin_names_both(cards, monkeypatch):
    mine = yaml.safe_load((cards / "my-denoiser.yaml").read_text())
    (cards / "copy.yaml").write_text(yaml.safe_dump({**mine, "name": "identity"}))
    monkeypatch.setenv(CARDS_ENV, str(cards))
    with pytest.raises(CemBenchError, match="'identity' is defined twice: by built-in .* and by user"):
        registered_cards()


def test_models_show_says_where_missing_weights_were_looked_for(cards, tmp_path, monkeypatch, capsys):
    weights_dir = tmp_path / "weights-here"
    weights_dir.mkdir()
    monkeypatch.setenv("CEM_BENCH_WEIGHTS", str(weights_dir))
    (cards / "tiny_denoiser.pth").unlink()
    assert main(["models", "show", "my-denoiser", "--cards", str(cards)]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("# weights:"))
    assert line.startswith("# weights: missing: looked for 'tiny_denoiser.pth' in ")
    assert str(weights_dir) in line and str(cards.resolve()) in line
    assert line.endswith("pass --weights FILE or set CEM_BENCH_WEIGHTS")


@pytest.mark.parametrize("command", ["score", "lam"])
def test_a_card_file_reusing_a_registered_name_is_refused(command, tmp_path, capsys):
    """Results are keyed by model name: nearest-x4 under the name bicubic-x4 would pass for bicubic-x4."""
    card = yaml.safe_load(Path("model_registry/cards/nearest-x4.yaml").read_text())
    card["name"] = "bicubic-x4"
    path = tmp_path / "shadow.yaml"
    path.write_text(yaml.safe_dump(card))
    out = tmp_path / "out"
    args = ["--model", str(path), "--image", "skimage:coffee", "--roi", "16,16,16", "--quiet", "--device", "cpu",
            "--out", str(out)]
    assert main([command, *args, *(["--task", "sr"] if command == "score" else [])]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("cem-bench: error: model name 'bicubic-x4' is already registered (built-in) with a different "
                   "card; rename your model")
    assert not out.exists()


def test_a_registered_card_named_by_its_own_file_still_loads():
    assert load_model("model_registry/cards/box-blur-3.yaml").card == registered_cards()["box-blur-3"]
