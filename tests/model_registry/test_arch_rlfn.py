"""RLFN x4 (NTIRE 2022 winner, RLFN_cut): random-weight behaviour always; checkpoint and sanity with assets."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from arch_checks import assert_forward, assert_loads_strictly, needs_assets, seeded
from sanity import sr_gain

from cem_bench.core.assets import asset_path
from cem_bench.core.errors import CemBenchError
from cem_bench.models.loading import get_card, load_model, load_strict
from cem_bench.models.weights import read_state_dict
from model_registry.archs import architectures
from model_registry.archs.rlfn import ESA, RLFB, RLFN

CARD = "rlfn-ntire-x4"
CHECKPOINT = "checkpoints/sr/rlfn_ntire2022_x4.pth"


def _net(upscale: int = 4, seed: int = 0) -> RLFN:
    return seeded(lambda: RLFN(upscale=upscale), seed)


def test_registered_and_card_agrees() -> None:
    card = get_card(CARD)
    assert architectures()["rlfn"] is RLFN
    assert (card.architecture.source, card.architecture.name) == ("project", "rlfn")
    assert card.scale == 4 and card.tasks[0].task == "sr" and card.tasks[0].levels == [4]
    assert card.input.range == 255 and card.input.color == "rgb"  # the challenge script feeds [0, 255]
    assert card.weights.file == "sr/rlfn_ntire2022_x4.pth" and card.weights.key is None
    assert card.params == sum(p.numel() for p in RLFN(**card.architecture.kwargs).parameters())


def test_parameter_count_is_the_challenge_entry() -> None:
    """bytedance/RLFN lists RLFN_ntire at 0.317 M parameters."""
    assert sum(p.numel() for p in RLFN().parameters()) == 317218


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_random_forward_shape_and_finite(scale: int) -> None:
    assert_forward(_net(scale), torch.rand(2, 3, 15, 19), (2, 3, 15 * scale, 19 * scale))


def test_too_small_input_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="at least 15x15"):
        _net()(torch.rand(1, 3, 32, 12))


def test_block_wiring() -> None:
    """With c3_r zeroed the conv chain adds nothing (lrelu(0) = 0) and the block is ESA(c5(x)): the skip
    joins before the 1x1 conv and the attention, not after them."""
    torch.manual_seed(5)
    block = RLFB(46, 48).eval()
    x = torch.randn(1, 46, 20, 20)
    with torch.no_grad():
        block.c3_r.weight.zero_()
        block.c3_r.bias.zero_()
        torch.testing.assert_close(block(x), block.esa(block.c5(x)))


def test_attention_formula() -> None:
    """ESA = x * sigmoid(conv4(resize(conv3(maxpool(conv2(conv1 x)))) + conv_f(conv1 x))), no activations."""
    torch.manual_seed(6)
    esa = ESA(16, 46).eval()
    x = torch.randn(1, 46, 31, 23)
    with torch.no_grad():
        reduced = esa.conv1(x)
        pooled = esa.conv3(F.max_pool2d(esa.conv2(reduced), 7, 3))
        spread = F.interpolate(pooled, size=(31, 23), mode="bilinear", align_corners=False)
        torch.testing.assert_close(esa(x), x * torch.sigmoid(esa.conv4(spread + esa.conv_f(reduced))))


@needs_assets
def test_strict_load_through_card() -> None:
    model = assert_loads_strictly(CARD, CHECKPOINT, RLFN)
    assert model.scale == 4
    y = assert_forward(model, torch.rand(1, 3, 16, 20), (1, 3, 64, 80))
    assert 0 <= float(y.mean()) <= 1  # the card's range maps [0, 255] back


@needs_assets
def test_wrong_shapes_are_refused() -> None:
    state = read_state_dict(asset_path(CHECKPOINT))
    with pytest.raises(CemBenchError, match="wrong shape"):
        load_strict(RLFN(nf=48), state, CARD)


@needs_assets
def test_sanity_gain_over_bicubic_needs_the_255_range() -> None:
    """MANIFEST protocol: measured +1.36 dB through the card (range 255); fed [0, 1] the same weights lose
    to bicubic (-0.50 dB), so the card's range is what makes the model work."""
    torch.set_num_threads(min(2, torch.get_num_threads()))
    model = load_model(CARD)
    assert sr_gain(model, 4) > 1.2
    assert sr_gain(model.network, 4) < 0
