import numpy as np
import torch

from cem_bench.core.images import to_tensor
from cem_bench.core.tasks import get_task
from cem_bench.core.tasks.dr import rain_layer, streak_kernel


def test_rain_layer_is_normalised_sparse_and_seeded():
    rain, params = rain_layer(128, 128, torch.Generator().manual_seed(0))
    again, _ = rain_layer(128, 128, torch.Generator().manual_seed(0))
    assert torch.equal(rain, again)
    assert float(rain.min()) == 0.0 and float(rain.max()) == 1.0
    assert 35 <= params["length"] <= 45 and -30 <= params["angle"] <= 30 and params["width"] in (3, 5, 7)
    assert float((rain > 0.5).float().mean()) < 0.2  # streaks, not a wash


def test_streak_kernel_runs_along_its_angle():
    vertical = streak_kernel(41, 0.0, 3)
    column_mass = vertical.sum(dim=0)
    centre = vertical.shape[1] // 2
    assert float(column_mass[centre - 2 : centre + 3].sum()) > 0.95  # a vertical line
    assert abs(float(vertical.sum()) - 1) < 1e-9


def test_rainy_image_adds_rain_and_interventions_reapply_the_same_rain(astronaut64):
    task = get_task("dr")
    degraded = task.degrade(astronaut64, seed=0)
    assert (degraded.lq.astype(int) >= degraded.gt.astype(int)).all()  # rain only brightens
    assert 0.6 <= degraded.info["beta"] <= 1.0
    # Pasting the clean content back as an "intervention" reproduces the rainy block exactly.
    residual = torch.from_numpy(degraded.residual).permute(2, 0, 1)
    clean_block = to_tensor(degraded.gt)[:, 8:16, 16:24]
    rebuilt = task.degrade_patches(clean_block[None], None, residual[None, :, 8:16, 16:24])
    assert torch.equal(rebuilt[0], to_tensor(degraded.lq)[:, 8:16, 16:24])


def test_user_pair_estimates_the_rain_as_the_residual(astronaut64):
    rainy = np.clip(astronaut64.astype(int) + 40, 0, 255).astype(np.uint8)
    degraded = get_task("dr").pair(astronaut64, rainy)
    assert np.allclose(degraded.residual * 255, rainy.astype(np.float32) - astronaut64, atol=1e-4)


def test_even_streak_lengths_keep_the_image_size():
    # length + width + 1 is even for even lengths: the layer must still match the image (it used to be 1 px larger)
    for seed in range(40):
        degraded = get_task("dr").degrade(np.zeros((24, 20, 3), np.uint8), seed=seed)
        if degraded.info["length"] % 2 == 0:
            assert degraded.lq.shape == (24, 20, 3) and degraded.residual.shape == (24, 20, 3)
            return
    raise AssertionError("no even streak length among the seeds tried")
