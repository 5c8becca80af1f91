"""A model card names code: only a vetted model builder may ever run (issue 18, defect 1).

Each hostile builder would leave a marker file if it were called; the tests assert the marker never
appears, the refusal is one line (exit 2 on the command line), and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hostile import write_card
from PIL import Image
from torch import nn

from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.models.card import read_card
from cem_bench.models.loading import build_network, load_model

HERE = Path(__file__).resolve().parent
SUITE = HERE.parent / "fixtures" / "tiny_suite.yaml"


@pytest.fixture(autouse=True)
def user_module(monkeypatch):
    """``hostile`` importable as a user's own module on PYTHONPATH."""
    monkeypatch.syspath_prepend(str(HERE))


@pytest.fixture
def marker(tmp_path) -> Path:
    return tmp_path / "x"


def os_system_card(folder: Path, marker: Path) -> Path:
    return write_card(folder, architecture={"source": "module", "name": "os:system",
                                            "kwargs": {"command": f"touch {marker}"}})


def cli_args(command: str, card: Path, tmp_path: Path) -> list[str]:
    out = tmp_path / "out"
    if command == "score":
        image = tmp_path / "gt.png"
        Image.fromarray(np.full((32, 32, 3), 128, np.uint8)).save(image)
        return ["score", "--model", str(card), "--task", "dn", "--sigma", "25", "--image", str(image),
                "--roi", "8,8,16", "--fine", "1", "--quiet", "--device", "cpu", "--out", str(out)]
    if command == "models show":
        return ["models", "show", str(card)]
    return ["submit", str(card), "--suite", str(SUITE), "--out", str(out), "--device", "cpu", "--quiet"]


@pytest.mark.parametrize("command", ["score", "models show", "submit"])
def test_os_system_card_is_refused_on_every_command(command, tmp_path, marker, capsys):
    card = os_system_card(tmp_path / "cards", marker)
    assert main(cli_args(command, card, tmp_path)) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("cem-bench: error: model builder 'os:system' refused") and "\n" not in err, err
    assert "standard library" in err
    assert captured.out == ""  # `models show` prints nothing of a refused card
    assert not marker.exists()
    assert not (tmp_path / "out").exists()


REFUSED = {
    "stdlib function": ("subprocess:getoutput", {"cmd": "touch {marker}"}, "standard library"),
    "stdlib builtin": ("builtins:eval", {"source": "open({marker!r}, 'w')"}, "standard library"),
    "stdlib submodule": ("os.path:join", {}, "standard library"),
    "site-packages function": ("numpy:zeros", {"shape": [1]}, "installed package"),
    "site-packages module class": ("torch.nn:Identity", {}, "installed package"),
    "cem-bench itself": ("cem_bench.models.loading:load_model", {"name_or_card": "identity"}, "not a model builder"),
    "user function, not a builder": ("hostile:touch", {"path": "{marker}"}, "not annotated to return an nn.Module"),
    "user function, unannotated": ("hostile:unannotated", {"path": "{marker}"}, "not annotated to return an nn.Module"),
    "user lambda": ("hostile:touch_lambda", {"path": "{marker}"}, "not annotated to return an nn.Module"),
    "user partial": ("hostile:touch_partial", {"path": "{marker}"}, "is a partial"),
    "user callable instance": ("hostile:TOUCHER", {"path": "{marker}"}, "is a Toucher"),
    "user class, not a module": ("hostile:NotAModule", {"path": "{marker}"}, "not a subclass of torch.nn.Module"),
    "builtin re-exported": ("hostile:reexported_system", {"command": "touch {marker}"}, "builtin_function_or_method"),
    "stdlib function re-exported": ("hostile:reexported_copyfile", {"src": __file__, "dst": "{marker}"},
                                    "defined in shutil, not in hostile"),
    "user constant": ("hostile:HERE_IS_NOTHING", {}, "has no attribute 'HERE_IS_NOTHING'"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_non_builders_are_refused_before_being_called(case, tmp_path, marker):
    name, kwargs, reason = REFUSED[case]
    kwargs = {key: value.format(marker=str(marker)) if isinstance(value, str) else value for key, value in kwargs.items()}
    card = read_card(write_card(tmp_path, architecture={"source": "module", "name": name, "kwargs": kwargs}))
    with pytest.raises(CemBenchError) as raised:
        load_model(card)
    message = str(raised.value)
    assert reason in message and "\n" not in message, message
    assert not marker.exists()


def test_a_builder_returning_something_else_is_refused_after_the_call(tmp_path, marker):
    card = read_card(write_card(tmp_path, architecture={"source": "module", "name": "hostile:lying",
                                                        "kwargs": {"path": str(marker)}}))
    with pytest.raises(CemBenchError, match="hostile:lying returned a int, not an nn.Module"):
        build_network(card)


@pytest.mark.parametrize("name", ["hostile:good", "hostile:GoodNet"])
def test_user_module_builders_still_build(name, tmp_path):
    card = read_card(write_card(tmp_path, architecture={"source": "module", "name": name, "kwargs": {"width": 3}}))
    network = build_network(card)
    assert isinstance(network, nn.Module) and network.width == 3


def test_bad_kwargs_are_one_line(tmp_path):
    card = read_card(write_card(tmp_path, architecture={"source": "project", "name": "identity", "kwargs": {"nope": 1}}))
    with pytest.raises(CemBenchError, match=r"cannot build hostile \(project:identity\): TypeError: .*nope"):
        build_network(card)


def test_misspelled_builder_is_a_card_error(tmp_path):
    with pytest.raises(CemBenchError, match="spelled package.module:attribute"):
        read_card(write_card(tmp_path, architecture={"source": "module", "name": "os.system"}))


def install_fake_package(site: Path, module: str, plugin: bool) -> None:
    """``module`` (a builder) in a folder named site-packages, installed by a distribution that also ships
    ``{module}_cards``; when ``plugin``, the distribution declares ``{module}_cards:cards`` as a plug-in."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text("from torch import nn\n\n\ndef build() -> nn.Module:\n    return nn.Identity()\n")
    (site / f"{module}_cards.py").write_text("def cards():\n    return []\n")
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
    (info / "RECORD").write_text(f"{module}.py,,\n{module}_cards.py,,\n{info.name}/METADATA,,\n")
    if plugin:
        (info / "entry_points.txt").write_text(f"[cem_bench.models]\nmine = {module}_cards:cards\n")


def test_installed_package_needs_a_plugin_entry_point(tmp_path, monkeypatch):
    from cem_bench.models.builders import module_builder

    site = tmp_path / "lib" / "site-packages"
    monkeypatch.syspath_prepend(str(site))
    install_fake_package(site, "cem_sec_plain", plugin=False)
    with pytest.raises(CemBenchError, match="cem_sec_plain is an installed package .* not a cem-bench plug-in"):
        module_builder("cem_sec_plain:build")


def test_declared_plugin_in_site_packages_is_allowed(tmp_path, monkeypatch):
    site = tmp_path / "lib" / "site-packages"
    monkeypatch.syspath_prepend(str(site))
    # the entry point names the distribution's other module: every package it installs is the plug-in's
    install_fake_package(site, "cem_sec_plugin", plugin=True)
    from cem_bench.models.builders import module_builder

    assert isinstance(module_builder("cem_sec_plugin:build")(), nn.Module)


@pytest.mark.parametrize("name, kwargs", [("SpyNet", {"load_path": "{path}"}), ("DFDNet", {"num_feat": 64, "dict_path": "{path}"}),
                                          ("SpyNet", {"load_path": "{path}\nsecond line"})])
def test_basicsr_builders_cannot_read_files_named_by_the_card(name, kwargs, tmp_path, monkeypatch):
    """basicsr's SpyNet and DFDNet ``torch.load`` a path from their kwargs: outside the weights' checks."""
    import torch

    loaded = tmp_path / "evil.pth"
    torch.save({"params": {}}, loaded)
    calls: list[object] = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append(a) or real_load(*a, **k))
    kwargs = {key: value.format(path=loaded) if isinstance(value, str) else value for key, value in kwargs.items()}
    card = read_card(write_card(tmp_path, architecture={"source": "basicsr", "name": name, "kwargs": kwargs}))
    with pytest.raises(CemBenchError) as raised:
        build_network(card)
    message = str(raised.value)
    assert f"model builder 'basicsr:{name}' refused: it tried to read" in message and "\n" not in message, message
    assert calls == []  # refused before torch.load ran


def test_basicsr_builders_still_build_without_files(tmp_path):
    card = read_card(write_card(tmp_path, architecture={"source": "basicsr", "name": "SpyNet", "kwargs": {"load_path": None}}))
    assert isinstance(build_network(card), nn.Module)
    with open(tmp_path / "after.txt", "w") as handle:  # file access is back once the build returns
        handle.write("ok")
