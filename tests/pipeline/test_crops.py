"""`cem-bench data crops`: a suite's images cut from their sources, checked and written as PNG files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from conftest import needs_assets

from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.core.image_source import ImageSource
from cem_bench.core.images import array_sha256, read_rgb
from cem_bench.pipeline.crops import write_crops
from cem_bench.pipeline.suites import load_suite

MINI = {
    "name": "mini", "description": "test", "rois": [[8, 8, 8]], "tasks": [{"name": "dn", "sigma": 50}],
    "images": [{"id": "a", "source": "skimage:astronaut", "crop": [10, 20, 32]},
               {"id": "b", "source": "skimage:coffee"}],
}


def mini_suite(tmp_path: Path, **image_changes: object):
    data = {**MINI, "images": [{**MINI["images"][0], **image_changes}, MINI["images"][1]]}
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_suite(path)


def test_crops_are_the_suites_pixels_with_a_manifest(tmp_path):
    suite = mini_suite(tmp_path)
    manifest = write_crops(suite, tmp_path / "out")
    assert manifest["suite"] == suite.id and set(manifest["images"]) == {"a", "b"}
    for image in suite.images:
        entry, path = manifest["images"][image.id], tmp_path / "out" / f"{image.id}.png"
        expected = ImageSource(source=image.source, crop=image.crop).read()
        assert array_sha256(read_rgb(path)) == array_sha256(expected) == entry["sha256"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["png_sha256"]
    assert manifest["images"]["a"]["crop"] == [10, 20, 32] and manifest["images"]["b"]["crop"] is None
    assert json.loads((tmp_path / "out" / "MANIFEST.json").read_text()) == manifest


def test_a_rewrite_gives_the_same_bytes(tmp_path):
    suite = mini_suite(tmp_path)
    write_crops(suite, tmp_path / "one")
    write_crops(suite, tmp_path / "two")
    for path in (tmp_path / "one").iterdir():
        assert (tmp_path / "two" / path.name).read_bytes() == path.read_bytes(), path.name


def test_the_suites_sha256_is_checked_before_anything_is_written(tmp_path):
    good = write_crops(mini_suite(tmp_path), tmp_path / "first")["images"]["a"]["sha256"]
    assert write_crops(mini_suite(tmp_path, sha256=good), tmp_path / "fixed")["images"]["a"]["checked"]
    with pytest.raises(CemBenchError, match="does not have the content its suite fixes"):
        write_crops(mini_suite(tmp_path, sha256="0" * 64), tmp_path / "wrong")
    assert not (tmp_path / "wrong").exists()


def test_a_folder_with_foreign_pngs_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old-image.png").write_bytes(b"")
    with pytest.raises(CemBenchError, match="old-image.png"):
        write_crops(mini_suite(tmp_path), tmp_path / "out")


def test_missing_shared_assets_are_one_line_naming_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CEM_BENCH_ASSETS", str(tmp_path / "no-assets"))
    with pytest.raises(CemBenchError, match=r"13 of 13 images are not on this machine \(assets:benchmarks/"):
        write_crops(load_suite("standard"), tmp_path / "out")
    assert main(["data", "crops", "--suite", "standard", "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert "set CEM_BENCH_ASSETS" in error and "no-assets" in error and "\n" not in error
    assert not (tmp_path / "out").exists()


@needs_assets
def test_the_standard_suites_crops_from_the_shared_assets(tmp_path, capsys):
    assert main(["data", "crops", "--suite", "standard", "--out", str(tmp_path / "standard")]) == 0
    assert "wrote 13 images" in capsys.readouterr().out
    manifest = json.loads((tmp_path / "standard" / "MANIFEST.json").read_text())
    suite = load_suite("standard")
    assert {image.id: image.sha256 for image in suite.images} == {
        key: entry["sha256"] for key, entry in manifest["images"].items()}
    assert all(entry["checked"] and entry["size"] == [256, 256] for entry in manifest["images"].values())
