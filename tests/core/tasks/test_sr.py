import numpy as np
import pytest
import torch
from PIL import Image

from cem_bench import load_bank
from cem_bench.core.errors import CemBenchError
from cem_bench.core.tasks import get_task


def test_lr_is_pil_bicubic_of_the_modcropped_gt(astronaut64):
    gt = np.ascontiguousarray(astronaut64[:62, :63])  # not multiples of 4
    degraded = get_task("sr", scale=4).degrade(gt, seed=0)
    assert degraded.gt.shape == (60, 60, 3)
    expected = np.asarray(Image.fromarray(degraded.gt).resize((15, 15), Image.Resampling.BICUBIC))
    assert np.array_equal(degraded.lq, expected)


def test_bank_is_resized_to_the_input_block():
    bank = get_task("sr", scale=4).prepare_bank(load_bank("skimage-8"), 8, torch.device("cpu"))
    assert bank.shape == (10_000, 3, 2, 2)
    assert torch.equal(bank * 255, (bank * 255).round())  # 8-bit valued, like the LR input


@pytest.mark.parametrize("scale", [1, 5, 8])
def test_unsupported_scale(scale):
    with pytest.raises(CemBenchError, match="scale must be one of"):
        get_task("sr", scale=scale)


def test_user_lq_must_match_the_scale(astronaut64):
    with pytest.raises(CemBenchError, match="lq is 64x64"):
        get_task("sr", scale=4).pair(astronaut64, astronaut64)
