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


def test_good_card_is_scored_and_ranked_against_registered_results(weights, tmp_path, capsys):
    registered = tmp_path / "registered"
    assert submit(CARDS_DIR / "box-blur-5.yaml", registered) == 0  # a registered card as is: the competitor
    capsys.readouterr()
    out = tmp_path / "results"
    assert submit(write_card(tmp_path, weights), out, "--results", str(registered)) == 0
    printed = capsys.readouterr()
    result = out / "tiny" / "dn-s50" / "tiny-submit.json"
    record = json.loads(result.read_text())
    assert record["model"]["weights_sha256"] == file_sha256(weights)
    assert not (out / "tiny" / "sr-x2" / "tiny-submit.json").exists()  # the card is dn only
    lines = printed.out.splitlines()
    assert any(line.startswith("smoke: tiny-submit on dn-s50: 96x96 -> 96x96, finite") for line in lines)
    assert f"ranked against registered models' results of suite {record['suite']['id']} in {registered} " \
           "(--results): dn-s50 1" in lines
    assert f"wrote {result}" in lines
    rank_line = next(line for line in lines if line.startswith("rank on dn-s50:"))
    competitor = json.loads((registered / "tiny" / "dn-s50" / "box-blur-5.json").read_text())["aggregates"]["psnr_gain"]
    position = 1 if record["aggregates"]["psnr_gain"]["mean"] > competitor["mean"] else 2
    assert re.fullmatch(rf"rank on dn-s50: {position} of 2 by psnr_gain \(mean gain [+-]\d+\.\d\d dB\), against the "
                        rf"registered models' results in {re.escape(str(registered))} \(--results\)", rank_line), rank_line
    assert printed.err == ""


def test_own_runs_and_other_suite_versions_are_not_ranked_against(weights, tmp_path, capsys):
    """A folder holding only the submitter's earlier (unregistered) run and a result of another version of the
    suite gives no rank, never "1 of 1"; both are named as left out."""
    out = tmp_path / "results"
    assert submit(CARDS_DIR / "box-blur-5.yaml", out) == 0
    stale = out / "tiny" / "dn-s50" / "box-blur-5.json"
    record = json.loads(stale.read_text())
    record["suite"]["hash"] = "0" * 16  # scored by another version of the suite
    stale.write_text(json.dumps(record))
    assert submit(write_card(tmp_path, weights), out, "--results", str(out)) == 0
    capsys.readouterr()
    second = write_card(tmp_path, weights, name="tiny-again")
    assert submit(second, out, "--results", str(out)) == 0
    printed = capsys.readouterr()
    assert "; left out 1 of another version of suite tiny (hash not " in printed.out
    assert "): dn-s50/box-blur-5" in printed.out
    assert "; left out 1 of unregistered models: dn-s50/tiny-submit" in printed.out
    assert re.search(r"rank on dn-s50: unranked \(mean gain [+-]\d+\.\d\d dB\): no registered model's result of "
                     rf"suite tiny@\w+ on dn-s50 in {re.escape(str(out))} \(--results\)", printed.out)
    assert " of 1" not in printed.out
    assert "cem-bench: warning: no registered model's result of suite tiny@" in printed.err


def test_the_default_comparison_is_the_repositorys_committed_results():
    """Without --results, the committed quick results are what a quick submission is ranked against."""
    from cem_bench.pipeline.ranking import comparison, repository_results
    from cem_bench.pipeline.suites import load_suite

    quick = load_suite("quick")
    against = comparison(quick, [spec.build() for spec in quick.tasks], "tiny-submit")
    assert against.folder == repository_results() == CARDS_DIR.parents[1] / "results"
    committed = {path.stem: json.loads(path.read_text())["aggregates"]["psnr_gain"]["mean"]
                 for path in (against.folder / "quick" / "dn-s50").glob("*.json")}
    assert against.gains["dn-s50"] == committed and "ffdnet-color" in committed
    assert set(against.gains) == {"sr-x2", "sr-x4", "dn-s50", "dr"} and not against.skipped
    best = max(committed.values())
    assert against.standing("dn-s50", best + 1) == (1, len(committed) + 1)
    assert against.standing("dn-s50", -99.0) == (len(committed) + 1, len(committed) + 1)
    # a registered model submitted again: its own committed result is what is being ranked, never a competitor
    dn = [spec.build() for spec in quick.tasks if spec.label == "dn-s50"]
    assert set(comparison(quick, dn, "ffdnet-color").gains["dn-s50"]) == set(committed) - {"ffdnet-color"}


def test_a_missing_results_folder_is_one_line(weights, tmp_path, capsys):
    assert submit(write_card(tmp_path, weights), tmp_path / "results", "--results", str(tmp_path / "nope")) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"cem-bench: error: --results {tmp_path / 'nope'} is not a folder (the results to rank against)"
    assert not (tmp_path / "results").exists()


def test_an_x3_card_on_quick_is_pointed_at_quick_x3(tmp_path, capsys):
    card = write_card(tmp_path, None, weights=None, params=0, scale=3, tasks=[{"task": "sr", "levels": [3]}],
                      architecture={"source": "project", "name": "bicubic_upsampler", "kwargs": {"scale": 3}})
    assert main(["submit", str(card), "--suite", "quick", "--out", str(tmp_path / "results"), "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert "suite quick has no task model tiny-submit was trained for (card: sr 3, x3;" in err
    assert err.endswith("; shipped suite(s) with a task it fits: quick-x3 (--suite NAME)"), err


def test_no_gain_is_a_warning_and_still_scored(tmp_path, capsys):
    card = write_card(tmp_path, None, weights=None, params=0, tasks=[{"task": "dn"}],
                      architecture={"source": "project", "name": "identity"})
    assert submit(card, tmp_path / "results") == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("cem-bench: warning: no registered model's result of suite tiny@")  # nothing to rank against
    err = err[1:]
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
