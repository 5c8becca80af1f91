import numpy as np
import pytest
import torch

from cem_bench.core.errors import CemBenchError
from cem_bench.core.tasks import get_task


def test_noise_level_and_quantisation():
    grey = np.full((128, 128, 3), 128, np.uint8)  # mid-grey: sigma 15 almost never clips
    degraded = get_task("dn", sigma=15).degrade(grey, seed=0)
    residual = degraded.lq.astype(np.float64) - 128
    assert abs(residual.std() - 15) < 0.3
    assert abs(residual.mean()) < 0.3
    assert degraded.lq.dtype == np.uint8


def test_noise_is_seeded(astronaut64):
    task = get_task("dn", sigma=50)
    assert np.array_equal(task.degrade(astronaut64, 1).lq, task.degrade(astronaut64, 1).lq)
    assert not np.array_equal(task.degrade(astronaut64, 1).lq, task.degrade(astronaut64, 2).lq)


def test_patches_get_fresh_clipped_noise():
    task = get_task("dn", sigma=25)
    patches = torch.full((2, 3, 8, 8), 0.5)
    draws = task.draw(torch.Generator().manual_seed(0), 2, (3, 8, 8))
    noisy = task.degrade_patches(patches, draws, None)
    assert not torch.equal(noisy[0], noisy[1])  # each intervention draws its own noise
    assert noisy.min() >= 0 and noisy.max() <= 1
    assert torch.equal(noisy * 255, (noisy * 255).round())
    assert abs(float((noisy - 0.5).std()) * 255 - 25) < 3


@pytest.mark.parametrize("sigma", [0, -5, 300])
def test_bad_sigma(sigma):
    with pytest.raises(CemBenchError):
        get_task("dn", sigma=sigma)
