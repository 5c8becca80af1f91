"""BRN (Ren et al., TIP 2020): structure with random weights; with the shared assets, the authors'
Rain1400 checkpoint loads strictly through its card and derains this project's synthetic rain.

There is no Rain1400 test set in the shared assets, so the paper's figure cannot be checked; the asset
test asserts a positive mean gain on the MANIFEST sanity crops (top-left 240x240 of lam_test_1, 2, 3, 6;
task ``dr``, seed 0; rainy 19.55 dB) and pins the figure measured with this code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from arch_checks import assert_forward, assert_loads_strictly, needs_assets, seeded
from sanity import psnr, sanity_images

from cem_bench.core.images import to_tensor
from cem_bench.core.tasks import get_task
from cem_bench.models.loading import get_card, load_model
from model_registry.archs import architectures
from model_registry.archs.brn import BRN

CHECKPOINT = "dr/brn_rain1400"
MEASURED = 22.30  # mean derained PSNR (dB) of the sanity crops, measured with this code
RAINY_MEAN = 19.55


def _net(stages: int = 2, seed: int = 0) -> BRN:
    return seeded(lambda: BRN(stages=stages), seed)


def test_registered_and_card_agrees() -> None:
    card = get_card("brn-rain1400")
    assert architectures()["brn"] is BRN
    assert card.architecture.source == "project" and card.architecture.name == "brn"
    assert card.architecture.kwargs == {"stages": 8}  # the reference's --inter_iter for training and test
    assert card.weights.strip_prefix == "module." and card.weights.file == CHECKPOINT + ".pth"
    assert card.task_names == {"dr"} and card.input.range == 1 and card.input.color == "rgb"
    assert card.params == sum(p.numel() for p in BRN().parameters()) == 412518


def test_key_layout() -> None:
    keys = set(BRN().state_dict())
    assert len(keys) == 64
    assert {"conv0.0.weight", "conv0_r.0.weight", "res_conv5_r.2.bias", "conv_o_r.0.bias", "conv_r.0.weight"} <= keys
    net = BRN()
    assert net.conv0[0].in_channels == 9 and net.conv0_r[0].in_channels == 6  # cat(y, x, r) and cat(y, r)
    assert net.conv_i[0].in_channels == net.conv_i_r[0].in_channels == 96  # features + both hidden states


@pytest.mark.parametrize("size", [(17, 22), (32, 32)])
def test_random_forward_shape_and_stages(size: tuple[int, int]) -> None:
    net, y = _net(stages=3), torch.rand(2, 3, *size)
    with torch.inference_mode():
        backgrounds, rains = net.stage_outputs(y)
    out = assert_forward(net, y, tuple(y.shape))
    assert len(backgrounds) == len(rains) == 3
    assert torch.equal(out, backgrounds[-1])


def test_rain_branch_applies_three_residual_blocks_only() -> None:
    """The reference defines res_conv4_r and res_conv5_r but never applies them."""
    net, y = _net(), torch.rand(1, 3, 16, 16)
    with torch.inference_mode():
        base = net(y)
        for name, used in (("res_conv4_r", False), ("res_conv5_r", False), ("res_conv3_r", True)):
            block = getattr(net, name)[0]
            saved = block.weight.clone()
            block.weight.add_(0.5)
            assert (not torch.equal(net(y), base)) is used, name
            block.weight.copy_(saved)


def test_branches_are_coupled_both_ways() -> None:
    """The background reads the current rain estimate; the rain branch reads the background's hidden
    state, so stage 3's rain estimate depends on stage 1's background output (via stage 2's state)."""
    net, y = _net(stages=3), torch.rand(1, 3, 16, 16)
    with torch.inference_mode():
        base_background, base_rain = (outputs[-1] for outputs in net.stage_outputs(y))
        net.conv_r[0].bias.add_(0.5)  # change only the rain branch's output layer
        assert not torch.equal(net(y), base_background)
        net.conv_r[0].bias.sub_(0.5)
        net.conv[0].bias.add_(0.5)  # change only the background branch's output layer
        assert not torch.equal(net.stage_outputs(y)[1][-1], base_rain)


@pytest.fixture(scope="module")
def rainy_pairs() -> list[tuple[torch.Tensor, torch.Tensor]]:
    task = get_task("dr")
    pairs = []
    for gt in sanity_images():
        degraded = task.degrade(gt, 0)
        pairs.append((to_tensor(degraded.lq)[None], to_tensor(degraded.gt)[None]))
    return pairs


@needs_assets
@pytest.mark.assets
def test_checkpoint_loads_strictly_and_keeps_untrained_blocks() -> None:
    # strict load, sha256 checked, `module.` stripped
    model = assert_loads_strictly("brn-rain1400", f"checkpoints/{CHECKPOINT}.pth", BRN, strip_prefix="module.")
    state = model.network.state_dict()
    # The two never-applied blocks still hold PyTorch's default init: |w| <= 1 / sqrt(fan_in) = 1 / sqrt(288).
    bound = 1 / math.sqrt(32 * 9)
    for name in ("res_conv4_r", "res_conv5_r"):
        assert all(state[f"{name}.{i}.weight"].abs().max() <= bound for i in (0, 2))
    assert state["res_conv3_r.0.weight"].abs().max() > 10 * bound  # a trained block, for contrast
    assert_forward(model, torch.rand(1, 3, 48, 40), (1, 3, 48, 40))


@needs_assets
@pytest.mark.assets
@pytest.mark.slow
def test_checkpoint_derains_synthetic_rain(rainy_pairs) -> None:
    torch.set_num_threads(min(2, torch.get_num_threads()))
    model = load_model("brn-rain1400")
    with torch.inference_mode():
        rainy = [psnr(lq, gt) for lq, gt in rainy_pairs]
        derained = [psnr(model(lq), gt) for lq, gt in rainy_pairs]
    assert float(np.mean(rainy)) == pytest.approx(RAINY_MEAN, abs=0.05)
    assert float(np.mean(derained)) > float(np.mean(rainy))
    assert float(np.mean(derained)) == pytest.approx(MEASURED, abs=0.1)
