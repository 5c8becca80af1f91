"""dvc.lock must describe the committed pipeline: a stale lock makes a user's `dvc repro` rescore everything.

Checked without DVC: every committed file the lock names (a dependency or an output of a stage that does not
always run) has the recorded md5, and every stage's recorded params are params.yaml's. Folders (.dir hashes)
and git-ignored paths (datasets/, crops/) are left to `dvc status`. After committing results or reports:
`dvc commit -f` (docs/pipeline.md).
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _lock() -> dict:
    return yaml.safe_load((ROOT / "dvc.lock").read_text(encoding="utf-8"))


def _always_changed() -> set[str]:
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    return {name for name, stage in stages.items() if stage.get("always_changed")}


def _tracked(paths: list[str]) -> set[str]:
    try:
        listed = subprocess.run(["git", "ls-files", "--", *paths], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return set(listed.splitlines())


def _recorded_files() -> list[tuple[str, str, str]]:
    """(stage, path, md5) of every file entry of the lock, outputs of always-changed stages left out."""
    always = _always_changed()
    entries = []
    for stage, body in _lock()["stages"].items():
        kinds = ("deps",) if stage.split("@")[0] in always else ("deps", "outs")
        for kind in kinds:
            for entry in body.get(kind, []):
                if not entry["md5"].endswith(".dir"):
                    entries.append((stage, entry["path"], entry["md5"]))
    return entries


def test_every_committed_file_the_lock_names_has_its_recorded_hash():
    entries = _recorded_files()
    tracked = _tracked(sorted({path for _, path, _ in entries}))
    stale = [f"{stage}: {path}" for stage, path, md5 in entries
             if path in tracked and hashlib.md5((ROOT / path).read_bytes()).hexdigest() != md5]
    assert len(tracked) > 40  # cards, results and reports: the check looks at real files
    assert not stale, f"dvc.lock is stale (run `dvc commit -f` after `cem-bench check`): {stale[:5]}"


def test_every_stage_was_locked_with_the_current_params():
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    differing = [stage for stage, body in _lock()["stages"].items()
                 for key, value in body.get("params", {}).get("params.yaml", {}).items() if params.get(key) != value]
    assert not differing, f"dvc.lock records other params.yaml values for {differing[:5]}"
