"""Plug-in models through the real entry-point machinery: a ``*.dist-info`` written on ``sys.path``."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
import torch

from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import file_sha256
from cem_bench.models import card_source, get_card, load_model, registered_cards
from cem_bench.models.catalog import registry
from cem_bench.models.plugins import GROUP, PluginWarning

PLUGIN_DIR = Path(__file__).resolve().parent / "plugin_example"


def install_distribution(site: Path, name: str, entry_points: dict[str, str]) -> None:
    """Write the metadata pip would write for a distribution that declares ``entry_points``."""
    info = site / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    lines = [f"[{GROUP}]", *(f"{key} = {value}" for key, value in entry_points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A fresh site folder on sys.path (import caches invalidated) and a registry rebuilt around it."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    monkeypatch.syspath_prepend(str(folder))  # also calls importlib.invalidate_caches()
    registry.cache_clear()
    yield folder
    registry.cache_clear()  # later tests must not see this test's plug-ins


def test_entry_point_is_found_by_importlib_metadata(site):
    install_distribution(site, "cem-plugin-example", {"tiny": "cem_plugin_example:cards"})
    found = [ep for ep in importlib.metadata.entry_points(group=GROUP) if ep.name == "tiny"]
    assert [ep.dist.name for ep in found] == ["cem-plugin-example"]


def test_plugin_cards_join_the_registry_and_load(site, tmp_path):
    import cem_plugin_example

    install_distribution(site, "cem-plugin-example", {"tiny": "cem_plugin_example:cards"})
    assert "tiny-denoiser" in registered_cards() and "identity" in registered_cards()
    assert card_source("tiny-denoiser") == "plug-in cem-plugin-example (entry point 'tiny')"
    assert card_source("identity") == "built-in"
    weights = cem_plugin_example.export_weights(tmp_path / "w")
    assert file_sha256(weights) == get_card("tiny-denoiser").weights.sha256  # reproducible export
    model = load_model("tiny-denoiser", weights=weights)
    x = torch.rand(1, 3, 12, 10)
    expected = torch.nn.functional.avg_pool2d(torch.nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"), 3, 1)
    torch.testing.assert_close(model(x), expected)
    assert model.weights_sha256 == file_sha256(weights)


def test_models_list_shows_plugin_source(site, capsys):
    install_distribution(site, "cem-plugin-example", {"tiny": "cem_plugin_example:cards"})
    assert main(["models", "list", "--task", "dn"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "tiny-denoiser" in line)
    assert "module:cem_plugin_example:build" in row and "plug-in cem-plugin-example (entry point 'tiny')" in row
    assert main(["models", "show", "tiny-denoiser"]) == 0
    assert "# source: plug-in cem-plugin-example" in capsys.readouterr().out


@pytest.mark.parametrize(("target", "reason"), [
    ("cem_plugin_broken:raises", "plug-in exploded"),
    ("cem_plugin_broken:NOT_CALLABLE", "is not callable"),
    ("cem_plugin_broken:not_cards", "expected a card path or a ModelCard, got int"),
    ("cem_plugin_broken:missing", "has no attribute 'missing'"),
    ("no_such_module_here:cards", "No module named 'no_such_module_here'"),
])
def test_broken_plugin_warns_and_the_rest_loads(site, target, reason):
    install_distribution(site, "cem-plugin-example", {"tiny": "cem_plugin_example:cards"})
    install_distribution(site, "cem-broken", {"bad": target})
    with pytest.warns(PluginWarning, match=r"plug-in cem-broken \(entry point 'bad'\) failed to load") as caught:
        cards = registered_cards()
    assert reason in str(caught[0].message)
    assert "tiny-denoiser" in cards and "identity" in cards


def test_name_clash_with_builtin_names_both_sources(site):
    install_distribution(site, "cem-clash", {"dup": "cem_plugin_broken:builtin_name"})
    with pytest.raises(CemBenchError, match=r"'identity' is defined twice: by built-in \(.*identity.yaml\) "
                                            r"and by plug-in cem-clash \(entry point 'dup'\)"):
        registered_cards()


def test_name_clash_between_plugins(site):
    install_distribution(site, "cem-plugin-example", {"tiny": "cem_plugin_example:cards"})
    install_distribution(site, "cem-plugin-copy", {"again": "cem_plugin_example:cards"})
    with pytest.raises(CemBenchError, match=r"'tiny-denoiser' is defined twice: by plug-in cem-plugin-copy .* "
                                            r"and by plug-in cem-plugin-example"):
        registered_cards()


def test_cli_reports_a_clash_as_one_line(site, capsys):
    install_distribution(site, "cem-clash", {"dup": "cem_plugin_broken:builtin_name"})
    assert main(["models", "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cem-bench: error: model name 'identity' is defined twice") and "\n" not in err


def test_no_plugins_means_builtin_cards_only(site):
    assert {card_source(name) for name in registered_cards()} == {"built-in"}
