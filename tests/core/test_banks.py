import numpy as np
import pytest
from conftest import needs_assets

from cem_bench.core.banks import BANK_SOURCES, load_bank, load_npz_bank
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import EVAL_IMAGES

SKIMAGE_8_SHA256 = "d7c4c23381212bed45e5abce2ed5696df5796fb7c808e01115ecc94276ebf0a4"
DIV2K_8_SHA256 = "e1630180c338887cccb1d87dbd0a93086f4e60275156d32b413e84311a8a7c72"


def test_embedded_bank_content_hash_is_fixed():
    bank = load_bank("skimage-8")
    assert bank.patches.shape == (10_000, 8, 8, 3) and bank.patches.dtype == np.uint8
    assert bank.sha256 == SKIMAGE_8_SHA256


def test_embedded_bank_avoids_evaluation_images():
    assert not set(BANK_SOURCES) & set(EVAL_IMAGES)


def test_other_patch_sizes_and_tensor_layout():
    bank = load_bank("skimage-4")
    tensor = bank.to_tensor()
    assert tensor.shape == (len(bank), 3, 4, 4)
    assert float(tensor.max()) <= 1.0
    assert np.array_equal((tensor[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8), bank.patches[0])


@needs_assets
def test_reference_bank_is_read_in_rgb_with_its_content_hash():
    bank = load_bank("div2k-8")
    assert bank.sha256 == DIV2K_8_SHA256
    assert bank.patches.shape == (10_000, 8, 8, 3)


def test_npz_round_trip_and_errors(tmp_path):
    patches = np.random.default_rng(0).integers(0, 256, (5, 8, 8, 3), dtype=np.uint8)
    np.savez(tmp_path / "mine.npz", patches=patches)
    bank = load_bank(str(tmp_path / "mine.npz"))
    assert bank.name == "mine" and np.array_equal(bank.patches, patches)
    np.savez(tmp_path / "bad.npz", patches=patches[..., 0])
    with pytest.raises(CemBenchError, match="shape"):
        load_npz_bank(tmp_path / "bad.npz")
    with pytest.raises(CemBenchError, match="unknown patch bank"):
        load_bank("imagenet-8")
