"""`cem-bench data bank`: the reference bank div2k-8 rebuilt from a folder of PNG patches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cem_bench.cli import main
from cem_bench.core.assets import asset_path
from cem_bench.core.banks import DIV2K_8_SHA256, DIV2K_ENV, DIV2K_FILE, load_bank, load_npz_bank
from cem_bench.core.errors import CemBenchError, ParameterError
from cem_bench.core.images import array_sha256
from cem_bench.pipeline.datasets import png_bytes
from cem_bench.pipeline.reference_bank import read_patch_folder, write_bank

NAMES = ["0002.png_10_7_sharpness-3.5.png", "0001.png_5_9_sharpness-12.0.png", "0001.png_1_2_sharpness-0.0.png"]
SHARED_BANK = asset_path(DIV2K_FILE)


def patch_folder(folder: Path, names: list[str] = NAMES, seed: int = 0) -> dict[str, np.ndarray]:
    """Random 8x8 RGB patches written under ``folder`` with ``names``; returns them by name."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    patches = {name: rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for name in names}
    for name, patch in patches.items():
        (folder / name).write_bytes(png_bytes(patch))
    return patches


def test_a_folder_is_read_in_sorted_name_order_with_sharpness_from_the_names(tmp_path):
    written = patch_folder(tmp_path / "patches")
    bank = read_patch_folder(tmp_path / "patches", count=3)
    assert list(bank.names) == sorted(NAMES)
    assert np.array_equal(bank.patches, np.stack([written[name] for name in sorted(NAMES)]))  # RGB, as stored
    assert bank.sharpness.tolist() == [0.0, 12.0, 3.5] and bank.sharpness.dtype == np.float64
    assert bank.sha256 == array_sha256(bank.patches) and not bank.is_reference


def test_the_bank_file_is_deterministic_and_loads_as_a_bank(tmp_path):
    patch_folder(tmp_path / "patches")
    bank = read_patch_folder(tmp_path / "patches", count=3)
    first, second = write_bank(bank, tmp_path / "a.npz"), write_bank(bank, tmp_path / "b.npz")
    assert first.read_bytes() == second.read_bytes()
    assert load_npz_bank(first).sha256 == bank.sha256
    with np.load(first, allow_pickle=False) as data:
        assert list(data["names"]) == sorted(NAMES) and np.array_equal(data["sharpness"], bank.sharpness)
    with pytest.raises(ParameterError, match=r"\.npz"):
        write_bank(bank, tmp_path / "bank.zip")


@pytest.mark.parametrize(("image", "problem"), [
    (Image.new("RGB", (16, 16)), "is 16x16 pixels"),
    (Image.new("L", (8, 8)), "is a L image"),
    (Image.new("RGBA", (8, 8)), "is a RGBA image"),
    (Image.new("P", (8, 8)), "is a P image"),
    (Image.fromarray(np.zeros((8, 8), np.uint16)), "image; a patch is 8-bit RGB"),
])
def test_a_patch_that_is_not_8x8_8bit_rgb_is_refused_by_name(tmp_path, image, problem):
    patch_folder(tmp_path)
    image.save(tmp_path / NAMES[1])
    with pytest.raises(CemBenchError, match=problem) as error:
        read_patch_folder(tmp_path, count=3)
    assert NAMES[1] in str(error.value) and "\n" not in str(error.value)


def test_a_folder_with_missing_extra_or_strange_files_is_refused(tmp_path):
    patch_folder(tmp_path)
    (tmp_path / NAMES[0]).unlink()
    with pytest.raises(CemBenchError, match="holds 2 patch files; the reference bank has 3"):
        read_patch_folder(tmp_path, count=3)
    (tmp_path / "README.png").write_bytes(png_bytes(np.zeros((8, 8, 3), np.uint8)))
    with pytest.raises(CemBenchError, match="README.png is not named like a reference patch"):
        read_patch_folder(tmp_path, count=3)
    (tmp_path / NAMES[0]).write_bytes(b"not a png")
    (tmp_path / "README.png").unlink()
    with pytest.raises(CemBenchError, match=f"cannot read patch .*{NAMES[0]}"):
        read_patch_folder(tmp_path, count=3)
    with pytest.raises(ParameterError, match="is not a folder"):
        read_patch_folder(tmp_path / "absent")


def test_the_command_refuses_a_folder_that_is_not_the_reference_size(tmp_path, capsys):
    patch_folder(tmp_path / "patches")
    assert main(["data", "bank", "--from", str(tmp_path / "patches"), "--out", str(tmp_path / "b.npz")]) == 2
    error = capsys.readouterr().err.strip()
    assert "holds 3 patch files; the reference bank has 10,000" in error and "\n" not in error
    assert not (tmp_path / "b.npz").exists()


def test_div2k_8_from_the_environment_must_have_the_reference_content(tmp_path, monkeypatch):
    patch_folder(tmp_path / "patches")
    other = write_bank(read_patch_folder(tmp_path / "patches", count=3), tmp_path / "other.npz")
    monkeypatch.setenv(DIV2K_ENV, str(other))
    with pytest.raises(CemBenchError, match="is not the reference bank div2k-8"):
        load_bank("div2k-8")
    assert load_bank(str(other)).sha256 == array_sha256(np.load(other)["patches"])  # by its path it is a bank
    monkeypatch.setenv(DIV2K_ENV, str(tmp_path / "absent.npz"))
    with pytest.raises(CemBenchError, match=f"{DIV2K_ENV} names .*absent.npz, which is not a file"):
        load_bank("div2k-8")


@pytest.mark.skipif(SHARED_BANK is None, reason=f"needs {DIV2K_FILE} of the shared assets")
def test_the_reference_folder_rebuilds_the_shared_bank(tmp_path, monkeypatch, capsys):
    # the reference repository's folder, recreated from the shared npz: one PNG per patch, under its name
    with np.load(SHARED_BANK, allow_pickle=False) as shared:
        patches, names, sharpness = shared["patches"], shared["names"], shared["sharpness"]
    folder = tmp_path / "patch-DIV2K-8-Demo"
    folder.mkdir()
    for name, patch in zip(names, patches, strict=True):
        (folder / str(name)).write_bytes(png_bytes(patch))
    out = tmp_path / "div2k-8.npz"
    assert main(["data", "bank", "--from", str(folder), "--out", str(out)]) == 0
    assert f"content sha256 {DIV2K_8_SHA256}" in capsys.readouterr().out
    with np.load(out, allow_pickle=False) as built:
        assert np.array_equal(built["names"], names) and np.array_equal(built["sharpness"], sharpness)
    monkeypatch.setenv(DIV2K_ENV, str(out))
    bank = load_bank("div2k-8")
    assert bank.sha256 == DIV2K_8_SHA256 and np.array_equal(bank.patches, patches)
    # one pixel of one patch changed: the file is still written, but it is not div2k-8 (exit 1)
    changed = patches[0].copy()
    changed[0, 0, 0] ^= 1
    (folder / str(names[0])).write_bytes(png_bytes(changed))
    assert main(["data", "bank", "--from", str(folder), "--out", str(tmp_path / "other.npz")]) == 1
    assert "NOT the reference bank div2k-8" in capsys.readouterr().out
    monkeypatch.setenv(DIV2K_ENV, str(tmp_path / "other.npz"))
    with pytest.raises(CemBenchError, match="is not the reference bank div2k-8"):
        load_bank("div2k-8")
