from collections import Counter

import numpy as np
import torch

from cem_bench.core.images import to_tensor
from cem_bench.core.tasks import get_task
from cem_bench.core.tasks.dr import WIDTH_PROBS, WIDTHS, draw_width, rain_layer, streak_kernel


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


def test_streak_widths_follow_the_reference_probabilities():
    # The reference's "medium" rain draws 3/5/7 px with p = 1/4, 1/2, 1/4 (version 2 drew them uniformly).
    gen, n = torch.Generator().manual_seed(0), 4000
    counts = Counter(draw_width(gen) for _ in range(n))
    assert set(counts) == set(WIDTHS)
    for width, p in zip(WIDTHS, WIDTH_PROBS):
        assert abs(counts[width] / n - p) < 5 * (p * (1 - p) / n) ** 0.5  # uniform would miss width 5 by 0.17


def test_the_width_draw_leaves_every_other_draw_as_version_2_had_it():
    # Version 3 changes the width rule only: the rest of the stream (seeds, beta) is consumed identically.
    for seed in range(20):
        new, old = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
        draw_width(new)
        torch.randint(len(WIDTHS), (), generator=old)  # version 2's draw
        assert torch.equal(torch.rand(8, generator=new, dtype=torch.float64),
                           torch.rand(8, generator=old, dtype=torch.float64))


def test_the_width_rule_is_versioned_and_recorded():
    described = get_task("dr").describe()
    assert described["version"] == 3 and described["width_probs"] == [0.25, 0.5, 0.25]
    assert described["widths"] == [3, 5, 7]
