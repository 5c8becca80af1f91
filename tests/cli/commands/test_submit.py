"""`cem-bench submit`: a good card is scored and ranked; every refusal is one line, exit 2, nothing written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
import yaml

from cem_bench.cli import main
from cem_bench.core.images import file_sha256
from model_registry import CARDS_DIR
from model_registry.archs.analytic import BoxBlur

SUITE = Path(__file__).resolve().parents[2] / "fixtures" / "tiny_suite.yaml"
PLUGIN_DIR = Path(__file__).resolve().parents[2] / "models" / "plugin_example"


@pytest.fixture
def plugin(monkeypatch):
    """The example plug-in's module importable (its card names ``cem_plugin_example:build``)."""
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    import cem_plugin_example

    return cem_plugin_example


@pytest.fixture
def weights(plugin, tmp_path) -> Path:
    return plugin.export_weights(tmp_path / "weights")


def write_card(folder: Path, checkpoint: Path | None, **changes) -> Path:
    """The plug-in example's card, renamed, pointing at ``checkpoint`` (sha256 measured), with ``changes``
    (a ``None`` value removes the field)."""
    card = yaml.safe_load((PLUGIN_DIR / "tiny-denoiser.yaml").read_text())
    card["name"] = "tiny-submit"
    if checkpoint is not None:
        card["weights"] = {"file": str(checkpoint), "sha256": file_sha256(checkpoint)}
    for key, value in changes.items():
        if value is None:
            card.pop(key, None)
        else:
            card[key] = value
    path = folder / "card.yaml"
    path.write_text(yaml.safe_dump(card))
    return path


def submit(card: Path, out: Path, *extra: str) -> int:
    return main(["submit", str(card), "--suite", str(SUITE), "--out", str(out), "--device", "cpu", "--quiet", *extra])


def test_good_card_is_scored_and_ranked(weights, tmp_path, capsys):
    out = tmp_path / "results"
    assert submit(CARDS_DIR / "box-blur-5.yaml", out) == 0  # a registered card as is: the competitor
    capsys.readouterr()
    assert submit(write_card(tmp_path, weights), out) == 0
    printed = capsys.readouterr()
    result = out / "tiny" / "dn-s50" / "tiny-submit.json"
    record = json.loads(result.read_text())
    assert record["model"]["weights_sha256"] == file_sha256(weights)
    assert not (out / "tiny" / "sr-x2" / "tiny-submit.json").exists()  # the card is dn only
    lines = printed.out.splitlines()
    assert any(line.startswith("smoke: tiny-submit on dn-s50: 96x96 -> 96x96, finite") for line in lines)
    assert f"wrote {result}" in lines
    rank_line = next(line for line in lines if line.startswith("rank on dn-s50:"))
    assert re.search(r"of 2 \(by psnr_gain, mean gain [+-]\d+\.\d\d dB\)$", rank_line), rank_line
    assert printed.err == ""


def test_no_gain_is_a_warning_and_still_scored(tmp_path, capsys):
    card = write_card(tmp_path, None, weights=None, params=0, tasks=[{"task": "dn"}],
                      architecture={"source": "project", "name": "identity"})
    assert submit(card, tmp_path / "results") == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[0].startswith("cem-bench: warning: model tiny-submit does not improve PSNR on dn-s50")
    # after scoring, the suite's own gain: the identity restores nothing, whatever its rank
    assert err[1].startswith("cem-bench: warning: model tiny-submit has a mean ROI PSNR gain of +0.00 dB on dn-s50: "
                             "it does not restore the degraded input there")
    assert (tmp_path / "results" / "tiny" / "dn-s50" / "tiny-submit.json").is_file()


def _pickled_model(folder: Path) -> Path:
    path = folder / "whole.pth"
    torch.save(BoxBlur(3), path)
    return path


def _under_params(plugin, folder: Path) -> Path:
    path = folder / "params.pth"
    torch.save({"params": plugin.box_filter_state()}, path)
    return path


def _renamed_keys(plugin, folder: Path) -> Path:
    state = plugin.box_filter_state()
    state["extra.weight"] = state.pop("tail.bias")
    path = folder / "renamed.pth"
    torch.save(state, path)
    return path


REFUSALS = {
    "card not found": (lambda p, w, t: t / "nope.yaml", "model card not found"),
    "invalid card": (lambda p, w, t: write_card(t, w, license=None), "invalid model card card.yaml: license: Field required"),
    "name taken": (lambda p, w, t: write_card(t, w, name="identity"), "'identity' is already registered (built-in)"),
    "unknown architecture": (lambda p, w, t: write_card(t, w, architecture={"source": "project", "name": "nonet"}),
                             "unknown project architecture 'nonet'"),
    "unknown module": (lambda p, w, t: write_card(t, w, architecture={"source": "module", "name": "nowhere:build"}),
                       "cannot import model builder 'nowhere:build': No module named 'nowhere'; a `source: module` "
                       "builder is imported by name: put the folder holding it on PYTHONPATH"),
    "weights under params": (lambda p, w, t: write_card(t, _under_params(p, t)),
                             "is not a state dict of tensors (found keys ['params'] — set weights.key: params)"),
    "too small for the suite": (lambda p, w, t: write_card(t, None, weights=None, params=None, tasks=[{"task": "dn"}],
                                                           architecture={"source": "module", "name": "helpers:NeedsLargeInput",
                                                                         "kwargs": {"min_side": 64}}),
                                "model tiny-submit failed on dn-s50 with a 48x48 input (width x height): the 48x48 "
                                "input is too small for the network"),
    "luma on noise": (lambda p, w, t: write_card(t, w, input={"color": "luma"}),
                      "(card: dn 25/50, x1; suite: dn-s50, sr-x2); model tiny-submit sees luma only (input.color: luma), "
                      "but task dn-s50 adds noise to each RGB channel independently"),
    "missing weights": (lambda p, w, t: write_card(t, None, weights={"file": "nope/tiny.pth", "sha256": "0" * 64}),
                        "weights for tiny-submit not found"),
    "wrong sha256": (lambda p, w, t: write_card(t, None, weights={"file": str(w), "sha256": "0" * 64}),
                     "but card tiny-submit says 000000000000"),
    "pickled model": (lambda p, w, t: write_card(t, _pickled_model(t)), "needs code to unpickle"),
    "keys mismatch": (lambda p, w, t: write_card(t, _renamed_keys(p, t)),
                      "state dict does not match tiny-submit: missing ['tail.bias']; unexpected ['extra.weight']"),
    "shapes mismatch": (lambda p, w, t: write_card(t, w, architecture={"source": "module", "name": "cem_plugin_example:build",
                                                                        "kwargs": {"width": 4}}),
                        "wrong shape ['head.weight', 'head.bias', 'tail.weight']"),
    "wrong scale": (lambda p, w, t: write_card(t, w, tasks=[{"task": "sr", "levels": [2]}], scale=2),
                    "output shape (1, 3, 48, 48), expected (1, 3, 96, 96) (input x2)"),
    "NaN output": (lambda p, w, t: write_card(t, None, weights=None, params=None, tasks=[{"task": "dn"}],
                                              architecture={"source": "module", "name": "helpers:nan_model"}),
                   "output contains NaN or Inf on the validation image"),
    "task not in suite": (lambda p, w, t: write_card(t, w, tasks=[{"task": "dr"}]),
                          "suite tiny has no task model tiny-submit was trained for (card: dr, x1; suite: dn-s50, sr-x2)"),
    "level not trained": (lambda p, w, t: write_card(t, w, tasks=[{"task": "dn", "levels": [15]}]),
                          "(card: dn 15, x1; suite: dn-s50, sr-x2)"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusal_is_one_line_exit_2_and_nothing_written(plugin, weights, tmp_path, capsys, case):
    make, message = REFUSALS[case]
    out = tmp_path / "results"
    assert submit(make(plugin, weights, tmp_path), out) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cem-bench: error: ") and "\n" not in err and message in err, err
    assert not out.exists()


def test_weights_given_to_an_analytic_card_are_refused(weights, tmp_path, capsys):
    card = write_card(tmp_path, None, weights=None, params=0, architecture={"source": "project", "name": "identity"})
    assert submit(card, tmp_path / "results", "--weights", str(weights)) == 2
    assert "has no weights to load" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_weights_flag_overrides_the_card_file(weights, tmp_path, capsys):
    card = write_card(tmp_path, None, weights={"file": "elsewhere/tiny_denoiser.pth", "sha256": file_sha256(weights)})
    assert submit(card, tmp_path / "results", "--weights", str(weights)) == 0
    assert f"weights: {weights} (sha256 {file_sha256(weights)[:12]}… verified)" in capsys.readouterr().out
