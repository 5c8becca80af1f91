"""A card's weights stay inside the weight search roots, and downloads are https only (issue 18, defect 6).

The checkpoints here all carry their real sha256: the sha256 check alone would let them through, so the
refusal must come from the confinement itself.
"""

from __future__ import annotations

import io
import urllib.request
from pathlib import Path

import pytest
import torch
from hostile import weights_entry, write_card

from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import file_sha256
from cem_bench.models import get_card, load_model, read_card
from cem_bench.models.weights import download, find_weights, resolve_weights
from model_registry import CARDS_DIR, ROOT

IDENTITY = {"source": "project", "name": "identity"}  # no parameters: an empty state dict loads strictly
OUTSIDE = "outside the weight search roots"


@pytest.fixture(autouse=True)
def isolated_roots(tmp_path, monkeypatch):
    """No $CEM_BENCH_WEIGHTS, an empty cache of this test's own, no shared assets."""
    monkeypatch.delenv("CEM_BENCH_WEIGHTS", raising=False)
    monkeypatch.setenv("CEM_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CEM_BENCH_ASSETS", str(tmp_path / "no-assets"))


def checkpoint(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({}, path)
    return path


def card_naming(folder: Path, target: Path, file: str, **changes) -> Path:
    return write_card(folder, architecture=IDENTITY, weights=weights_entry(target, file), **changes)


def test_dotdot_escape_is_refused(tmp_path):
    secret = checkpoint(tmp_path / "outside.pth")
    card = read_card(card_naming(tmp_path / "cards", secret, "../outside.pth"))
    with pytest.raises(CemBenchError, match=r"'../outside.pth' of hostile is outside the weight search roots"):
        load_model(card)
    assert find_weights(card.weights) is None  # `models list/show` and the runner never see it either


def test_zoo_layout_is_refused_outside_the_model_registry(tmp_path):
    """A user's card may not climb out of its folder the way the built-in zoo cards do."""
    weights = checkpoint(tmp_path / "zoo" / "weights" / "mine.pt")
    card = read_card(card_naming(tmp_path / "cards", weights, "../zoo/weights/mine.pt"))
    with pytest.raises(CemBenchError, match=OUTSIDE):
        resolve_weights(card)


def test_absolute_path_outside_the_roots_is_refused(tmp_path):
    elsewhere = checkpoint(tmp_path / "elsewhere" / "w.pth")
    card = read_card(card_naming(tmp_path / "cards", elsewhere, str(elsewhere)))
    with pytest.raises(CemBenchError, match=OUTSIDE):
        resolve_weights(card)


def test_symlink_out_of_the_card_folder_is_refused(tmp_path):
    elsewhere = checkpoint(tmp_path / "elsewhere" / "w.pth")
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "w.pth").symlink_to(elsewhere)
    card = read_card(card_naming(tmp_path / "cards", elsewhere, "w.pth"))
    with pytest.raises(CemBenchError, match=OUTSIDE):  # the link is resolved: its target is outside
        resolve_weights(card)


def test_escape_on_the_command_line_is_one_line_exit_2(tmp_path, capsys):
    secret = checkpoint(tmp_path / "outside.pth")
    card = card_naming(tmp_path / "cards", secret, "../outside.pth")
    args = ["score", "--model", str(card), "--task", "dn", "--sigma", "25", "--image", "skimage:coffee",
            "--roi", "8,8,16", "--fine", "1", "--quiet", "--device", "cpu", "--out", str(tmp_path / "out")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert OUTSIDE in err and "\n" not in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("file", ["w.pth", "sub/w.pth", "sub/../w.pth", "ABSOLUTE"])
def test_paths_inside_the_card_folder_still_load(tmp_path, file):
    folder = tmp_path / "cards"
    weights = checkpoint(folder / ("sub/w.pth" if file == "sub/w.pth" else "w.pth"))
    (folder / "sub").mkdir(exist_ok=True)
    card = read_card(card_naming(folder, weights, str(weights) if file == "ABSOLUTE" else file))
    assert load_model(card).weights_sha256 == file_sha256(weights)


def test_weights_folder_and_explicit_path_are_roots(tmp_path, monkeypatch):
    folder = tmp_path / "weights"
    weights = checkpoint(folder / "w.pth")
    card = read_card(card_naming(tmp_path / "cards", weights, str(weights)))
    assert load_model(card, weights=weights).weights_sha256 == file_sha256(weights)  # --weights: the user's choice
    monkeypatch.setenv("CEM_BENCH_WEIGHTS", str(folder))
    assert resolve_weights(card) == weights


def test_builtin_zoo_cards_still_find_their_weights():
    for path in sorted(CARDS_DIR.glob("zoo-*.yaml")):
        card = get_card(path.stem)
        assert card.weights.file.startswith("../zoo/weights/")  # the committed cards are unchanged
        found = find_weights(card.weights)
        assert found is not None and found.resolve().is_relative_to(ROOT / "zoo" / "weights"), path.name
    assert resolve_weights(get_card("zoo-sr-swinir")).name == "zoo-sr-swinir.pt"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://example.org/w.pth", "ftp://example.org/w.pth",
                                 "https:///no-host.pth", "/etc/passwd"])
def test_only_https_urls_are_valid(tmp_path, url, capsys):
    path = write_card(tmp_path, weights={"url": url, "sha256": "0" * 64})
    with pytest.raises(CemBenchError, match="only https:// downloads are allowed"):
        read_card(path)
    assert main(["models", "show", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "only https:// downloads are allowed" in err and "\n" not in err


@pytest.fixture
def fake_network(monkeypatch):
    """Serve ``payload`` for any URL, through both urllib entry points; count the requests."""
    served = {"payload": b"", "requests": 0}

    class Opener:
        def open(self, url, timeout=None):
            served["requests"] += 1
            return io.BytesIO(served["payload"])

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: Opener().open(url))
    monkeypatch.setattr(urllib.request, "build_opener", lambda *handlers: Opener())
    return served


def test_download_lands_in_the_cache_whatever_the_file_says(tmp_path, fake_network):
    payload = checkpoint(tmp_path / "payload.pth")
    fake_network["payload"] = payload.read_bytes()
    target = tmp_path / "victim" / "bashrc"
    card = read_card(write_card(tmp_path / "cards", architecture=IDENTITY,
                                weights={"file": str(target), "url": "https://example.org/w.pth",
                                         "sha256": file_sha256(payload)}))
    path = download(card.weights, card.name)
    assert path == tmp_path / "cache" / "bashrc" and not target.exists()


def test_download_keeps_a_confined_sub_folder(tmp_path, fake_network):
    payload = checkpoint(tmp_path / "payload.pth")
    fake_network["payload"] = payload.read_bytes()
    card = read_card(write_card(tmp_path / "cards", architecture=IDENTITY,
                                weights={"file": "sr/w.pth", "url": "https://example.org/w.pth",
                                         "sha256": file_sha256(payload)}))
    assert resolve_weights(card, allow_download=True) == tmp_path / "cache" / "sr" / "w.pth"
    assert resolve_weights(card) == tmp_path / "cache" / "sr" / "w.pth"  # found there next time, no request
    assert fake_network["requests"] == 1


def test_escaping_file_is_refused_before_any_download(tmp_path, fake_network):
    card = read_card(write_card(tmp_path / "cards", architecture=IDENTITY,
                                weights={"file": "../../evil.pth", "url": "https://example.org/w.pth", "sha256": "0" * 64}))
    with pytest.raises(CemBenchError, match=OUTSIDE):
        resolve_weights(card, allow_download=True)
    assert fake_network["requests"] == 0


def test_redirect_to_another_scheme_is_refused():
    from cem_bench.models.weights import _HttpsOnlyRedirects

    request = urllib.request.Request("https://example.org/w.pth")
    with pytest.raises(CemBenchError, match="only https:// is followed"):
        _HttpsOnlyRedirects().redirect_request(request, None, 302, "Found", {}, "http://example.org/w.pth")

