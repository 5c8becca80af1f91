import hashlib
from collections import Counter

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cem_bench.core.images import to_tensor
from cem_bench.core.tasks import get_task
from cem_bench.core.tasks.dr import TRAINING_CANVAS, WIDTH_PROBS, WIDTHS, correlate_sparse, draw_width, rain_layer, streak_kernel


def test_rain_layer_is_normalised_sparse_and_seeded():
    rain, params = rain_layer(128, 128, torch.Generator().manual_seed(0))
    again, _ = rain_layer(128, 128, torch.Generator().manual_seed(0))
    assert torch.equal(rain, again)
    assert float(rain.min()) == 0.0 and float(rain.max()) == 1.0
    assert 35 <= params["length"] <= 45 and -30 <= params["angle"] <= 30 and params["width"] in (3, 5, 7)
    assert float((rain > 0.5).float().mean()) < 0.2  # streaks, not a wash


def dense_same_correlation(seeds: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """The rain layer's former dense form: pad (side - 1) // 2 before and side // 2 after, then conv2d."""
    before, after = (kernel.shape[0] - 1) // 2, kernel.shape[0] // 2
    return F.conv2d(F.pad(seeds[None, None], (before, after, before, after)), kernel[None, None])[0, 0]


@pytest.mark.parametrize(("length", "angle", "width"), [(41, 12.5, 3), (44, -29.0, 5), (35, 0.0, 7)])  # odd / even sides
def test_sparse_correlation_is_the_dense_one_within_an_ulp_and_keeps_exact_zeros(length, angle, width):
    gen = torch.Generator().manual_seed(length)
    seeds = (torch.rand(40, 56, generator=gen, dtype=torch.float64) < 0.02).double() * 8
    seeds[0, 0] = seeds[-1, -1] = 3.0  # seeds on the border, where the padding matters
    kernel = streak_kernel(length, angle, width)
    sparse, dense = correlate_sparse(seeds, kernel), dense_same_correlation(seeds, kernel)
    assert sparse.shape == dense.shape == seeds.shape
    assert torch.equal(sparse == 0, dense == 0)
    assert torch.allclose(sparse, dense, rtol=1e-15, atol=0)


@pytest.mark.parametrize("side", [5, 6])
def test_sparse_correlation_of_an_asymmetric_kernel_is_the_dense_one(side):
    """Streak kernels are point-symmetric, which would hide a missing flip; a random kernel does not."""
    gen = torch.Generator().manual_seed(side)
    seeds = (torch.rand(12, 9, generator=gen, dtype=torch.float64) < 0.2).double()
    seeds[0, -1] = seeds[-1, 0] = 1.0
    kernel = torch.rand(side, side, generator=gen, dtype=torch.float64)
    assert torch.allclose(correlate_sparse(seeds, kernel), dense_same_correlation(seeds, kernel), rtol=1e-14, atol=0)


# sha256 of the float64 sums of the torch-slice loop zoo II's deraining models started training on
# (benchmarks/rain_layer.py's torch_loop), for the inputs below; a reordered sum changes 80-6,050 of
# these 7,680 values. Elementwise IEEE products and sums only, so the hashes hold on any CPU.
TORCH_LOOP_SHA256 = {
    5: "3503114548c84cad6d0a95fc0a13db42c30c18260bd47129a87ecbdbdb65d944",
    44: "5309e73ecb84aefd1b18b9165aff2f28118ee6e8304d0c964cf95474ac718035",
    53: "3f23f24e1e9ccd4d2fb2d92ef059632332b118f7afc7db55ec4aa70fdcf7ae65",
}


@pytest.mark.parametrize("side", sorted(TORCH_LOOP_SHA256))
def test_sparse_sums_are_the_torch_loop_s_bit_for_bit_in_float64(side):
    """Resumed trainings must see the data they started on: same products, added in the same order."""
    gen = torch.Generator().manual_seed(side)
    seeds = (torch.rand(96, 80, generator=gen, dtype=torch.float64) < 0.01).double() * 8
    seeds += (torch.rand(96, 80, generator=gen, dtype=torch.float64) < 0.02).double() * 0.1
    kernel = torch.rand(side, side, generator=gen, dtype=torch.float64)
    sums = correlate_sparse(seeds, kernel).contiguous().numpy()
    assert hashlib.sha256(sums.tobytes()).hexdigest() == TORCH_LOOP_SHA256[side]


def test_rain_layers_are_the_dense_form_s_bit_for_bit_in_float32():
    """The sparse sums change float64 last bits only; the float32 layer every task uses does not move."""
    for seed in range(20):
        rain, params = rain_layer(48, 64, torch.Generator().manual_seed(seed))
        gen = torch.Generator().manual_seed(seed)  # replay rain_layer's draws: density, length, angle, width
        density = 0.005 + 0.002 * float(torch.rand((), generator=gen, dtype=torch.float64))
        torch.randint(35, 46, (), generator=gen)
        torch.rand((), generator=gen, dtype=torch.float64)
        draw_width(gen)
        seeds = (torch.rand(48, 64, generator=gen, dtype=torch.float64) < density).double()
        smooth = torch.tensor([[0, 0.1, 0], [0.1, 8, 0.1], [0, 0.1, 0]], dtype=torch.float64)
        seeds = F.conv2d(seeds[None, None], smooth[None, None], padding=1)[0, 0]
        streaks = dense_same_correlation(seeds, streak_kernel(params["length"], params["angle"], params["width"]))
        expected = ((streaks - streaks.min()) / (streaks.max() - streaks.min())).float()
        assert torch.equal(rain, expected), seed


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


def test_a_training_patch_is_rained_on_as_a_window_of_a_suite_sized_image():
    task = get_task("dr")
    image = np.random.default_rng(0).integers(0, 256, (TRAINING_CANVAS, TRAINING_CANVAS, 3), dtype=np.uint8)
    for seed in (0, 5, 2**61 + 7):
        top = seed % (TRAINING_CANVAS - 48 + 1)
        left = (seed // (TRAINING_CANVAS - 48 + 1)) % (TRAINING_CANVAS - 40 + 1)
        whole = task.degrade(image, seed)
        patch = task.degrade_for_training(image[top:top + 48, left:left + 40], seed)
        assert patch.info["window"] == [top, left, TRAINING_CANVAS, TRAINING_CANVAS]
        assert np.array_equal(patch.lq, whole.lq[top:top + 48, left:left + 40])
        assert np.array_equal(patch.residual, whole.residual[top:top + 48, left:left + 40])


def test_training_rain_is_as_bright_as_a_suite_image_s_not_a_patch_s():
    """Min-max normalisation makes a 48-px layer brighter than a 256-px one; training patches must not be."""
    task, gt = get_task("dr"), np.zeros((48, 48, 3), dtype=np.uint8)
    trained = np.mean([task.degrade_for_training(gt, seed).residual.mean() for seed in range(30)])
    patch_sized = np.mean([task.degrade(gt, seed).residual.mean() for seed in range(30)])
    suite_sized = np.mean([task.degrade(np.zeros((256, 256, 3), np.uint8), seed).residual.mean() for seed in range(30)])
    assert abs(trained - suite_sized) < 0.25 * suite_sized < abs(patch_sized - suite_sized)


def test_other_tasks_train_on_their_own_degradation(astronaut64):
    task = get_task("dn", sigma=50)
    assert np.array_equal(task.degrade_for_training(astronaut64, 3).lq, task.degrade(astronaut64, 3).lq)
