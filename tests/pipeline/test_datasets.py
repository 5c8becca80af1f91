"""`cem-bench data build|verify|params` and the DVC files that use them."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from cem_bench.cli import main
from cem_bench.core.banks import load_npz_bank, skimage_bank
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import EVAL_IMAGES, read_rgb
from cem_bench.pipeline.datasets import build, verify
from cem_bench.pipeline.params import apply_params, read_params, unit_list
from cem_bench.pipeline.suites import load_suite

ROOT = Path(__file__).resolve().parents[2]
DVC = str(Path(sys.executable).with_name("dvc"))  # the venv's dvc (extra: pipeline), not one on PATH


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("datasets") / "datasets"
    build(out)
    return out


def test_build_writes_the_evaluation_split_and_banks(built):
    manifest = json.loads((built / "MANIFEST.json").read_text())
    assert set(manifest["files"]) == {*(f"images/skimage/{name}.png" for name in EVAL_IMAGES),
                                      "banks/skimage-8.npz", "banks/skimage-12.npz", "banks/skimage-16.npz"}
    for relative, entry in manifest["files"].items():
        assert hashlib.sha256((built / relative).read_bytes()).hexdigest() == entry["sha256"]
    assert np.array_equal(read_rgb(built / "images/skimage/coffee.png"), read_rgb("skimage:coffee"))
    assert load_npz_bank(built / "banks/skimage-8.npz").sha256 == skimage_bank(8).sha256


def test_build_is_byte_identical_on_a_rebuild(built, tmp_path):
    again = tmp_path / "again"
    build(again)
    for path in built.rglob("*"):
        if path.is_file():
            assert (again / path.relative_to(built)).read_bytes() == path.read_bytes(), path


def test_verify_accepts_the_build_and_names_a_tampered_file(built, tmp_path):
    suite = load_suite("quick")
    checked = verify(suite, built)
    assert all(entry["versioned"] for entry in checked["images"].values()) and checked["bank"]["versioned"]
    tampered = tmp_path / "tampered"
    shutil.copytree(built, tampered)
    rgb = read_rgb(tampered / "images/skimage/coffee.png").copy()
    rgb[0, 0] ^= 1
    from PIL import Image
    Image.fromarray(rgb).save(tampered / "images/skimage/coffee.png")
    with pytest.raises(CemBenchError, match="coffee.png is missing or differs from .*MANIFEST.json"):
        verify(suite, tampered)
    assert main(["data", "verify", "--datasets", str(tmp_path / "nothing")]) == 2


@pytest.mark.parametrize(("damage", "message"), [
    (lambda root: (root / "MANIFEST.json").write_text("{not json"), "is not the manifest `cem-bench data build` writes"),
    (lambda root: (root / "MANIFEST.json").write_text('{"files": []}'), "is not the manifest"),
    (lambda root: (root / "MANIFEST.json").write_text('{"files": {}}'), "is not the manifest"),
    (lambda root: (root / "MANIFEST.json").write_text('{"files": {"../../etc/passwd": {"sha256": "0"}}}'),
     "is not the manifest"),
    (lambda root: (root / "banks/skimage-16.npz").write_bytes(b"x"), "skimage-16.npz is missing or differs"),
    (lambda root: (root / "banks/skimage-16.npz").unlink(), "skimage-16.npz is missing or differs"),
])
def test_verify_checks_every_file_the_manifest_lists(built, tmp_path, damage, message):
    """Files the suite does not use (here the 16-px bank, for quick) are checked by their recorded hash."""
    damaged = tmp_path / "damaged"
    shutil.copytree(built, damaged)
    damage(damaged)
    with pytest.raises(CemBenchError, match=message):
        verify(load_suite("quick"), damaged)


def test_params_yaml_lists_every_unit_of_the_quick_suite():
    params = read_params(ROOT / "params.yaml")
    suite = apply_params(load_suite(params["suite"]), ROOT / "params.yaml")
    assert params["units"] == unit_list(suite), "params.yaml is stale: run `cem-bench data params`"


def test_params_protocol_overrides_change_the_suite_id(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"suite": "quick", "protocol": {"fine": 12}}))
    quick = load_suite("quick")
    changed = apply_params(quick, path)
    assert changed.protocol.fine == 12 and changed.protocol.coarse == quick.protocol.coarse
    assert changed.id != quick.id
    path.write_text(yaml.safe_dump({"protocol": {"finest": 1}}))
    with pytest.raises(CemBenchError, match="unknown protocol setting"):
        apply_params(quick, path)


@pytest.mark.skipif(not Path(DVC).exists(), reason="dvc is not installed (extra: pipeline)")
def test_dvc_status_is_clean_after_a_fresh_build(tmp_path):
    # datasets.dvc as committed must match what `cem-bench data build` writes on this machine
    subprocess.run([DVC, "init", "--no-scm", "-q"], cwd=tmp_path, check=True)
    shutil.copy(ROOT / "datasets.dvc", tmp_path / "datasets.dvc")
    subprocess.run([sys.executable, "-m", "cem_bench.cli", "data", "build"], cwd=tmp_path, check=True)
    status = subprocess.run([DVC, "status", "--json", "datasets.dvc"], cwd=tmp_path, capture_output=True, text=True)
    assert status.returncode == 0 and json.loads(status.stdout) == {}, status.stdout + status.stderr


@pytest.mark.skipif(not Path(DVC).exists(), reason="dvc is not installed (extra: pipeline)")
def test_dvc_yaml_has_one_score_stage_per_unit():
    listed = subprocess.run([DVC, "stage", "list", "--name-only"], cwd=ROOT, capture_output=True, text=True, check=True)
    stages = set(listed.stdout.split())
    units = read_params(ROOT / "params.yaml")["units"]
    assert {f"score@{key}" for key in units} | {"data", "crops", "aggregate", "leaderboard", "smoke_leaderboard", "report", "smoke_report"} == stages
