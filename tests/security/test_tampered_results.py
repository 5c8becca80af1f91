"""Tampered committed results: plain `cem-bench check` names each edited number, `leaderboard` refuses the file.

Each test copies the repository's committed quick-suite results and reports, edits one thing as a red-team
pass did (issue 18, defect 4), and runs the two commands on the copy. A result edited consistently
(a measured number and everything derived from it) is out of reach here: only `check --regenerate` sees it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cem_bench.cli import main

REPO = Path(__file__).resolve().parents[2]
TARGET = Path("quick") / "sr-x4" / "carn-m-x4.json"


def _set_effect(record: dict[str, Any]) -> None:
    """The issue's edit: a small positive effect (0.0198 there) of unit 0 becomes 99.0."""
    ce = record["units"][0]["ce"]
    i, j = next((i, j) for i, row in enumerate(ce) for j, v in enumerate(row) if v is not None and 0 < v < 0.1)
    ce[i][j] = 99.0


def _bump(record: dict[str, Any], *keys: Any, by: float) -> None:
    *parents, last = keys
    for key in parents:
        record = record[key]
    record[last] += by


# (edit, the field the check must name first for it)
TAMPERINGS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "one CE value -> 99.0": (_set_effect, "units[0].metrics.positive_sum"),
    "a unit's psnr_roi +5 dB": (lambda r: _bump(r, "units", 0, "metrics", "psnr_roi", by=5.0), "units[0].metrics.psnr_gain"),
    "an aggregate mean -> 42.0": (lambda r: r["aggregates"]["psnr_gain"].update(mean=42.0), "aggregates.psnr_gain.mean"),
    # 3 images: no interval stored; one made up is caught like an edited one
    "an aggregate CI bound": (lambda r: r["aggregates"]["psnr_roi"].update(low=r["aggregates"]["psnr_roi"]["mean"] - 0.3),
                              "aggregates.psnr_roi.low"),
    "a unit's block count": (lambda r: _bump(r, "units", 1, "metrics", "negative", by=1), "units[1].metrics.negative"),
    "an aggregate count": (lambda r: _bump(r, "aggregates", "diffusion_index", "n_units", by=-1),
                           "aggregates.diffusion_index.n_units"),
    "a unit dropped, n kept": (lambda r: r["units"].pop(), "aggregates.psnr_roi.mean"),
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the committed results and reports (params.yaml is read where it is)."""
    shutil.copytree(REPO / "results", tmp_path / "results")
    shutil.copytree(REPO / "reports", tmp_path / "reports")
    return tmp_path


def tamper(repo: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    path = repo / "results" / TARGET
    record = json.loads(path.read_text())
    edit(record)
    path.write_text(json.dumps(record, indent=1) + "\n")  # still schema-valid: the edit must be caught by meaning
    return path


def check(repo: Path) -> int:
    return main(["check", "--suite", "quick", "--params", str(REPO / "params.yaml"), "--results", str(repo / "results"),
                 "--reports", str(repo / "reports"), "--quiet"])


def leaderboard(repo: Path, out: Path) -> int:
    return main(["leaderboard", "--suite", "quick", "--results", str(repo / "results"), "--out", str(out)])


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_plain_check_names_the_file_and_field(repo, name, capsys):
    edit, field = TAMPERINGS[name]
    path = tamper(repo, edit)
    assert check(repo) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{path}: {field}: committed ")
    assert all(line.startswith(f"{path}: ") for line in err[:-1])  # one line per number, each naming the file
    assert err[-1].startswith("cem-bench: error: ") and "do not follow from their own maps and units" in err[-1]


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_leaderboard_refuses_the_file_and_writes_nothing(repo, name, capsys):
    edit, field = TAMPERINGS[name]
    path = tamper(repo, edit)
    out = repo / "board.md"
    assert leaderboard(repo, out) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cem-bench: error: {path}: refused") and f"units: {field}: committed " in err
    assert err.count("\n") == 1 and not out.exists()


def test_the_untampered_copy_renders_the_committed_leaderboard(repo):
    out = repo / "board.md"
    assert leaderboard(repo, out) == 0
    assert out.read_text() == (repo / "reports" / "quick_smoke.md").read_text()
