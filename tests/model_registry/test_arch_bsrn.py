"""BSRN-S x4 (NTIRE 2022 entry): random-weight behaviour always; checkpoint strict load and sanity with assets.

The CSet14 comparison with the paper's table is a benchmark (``benchmarks/paper_psnr.py``), too slow for
the test suite; here the sanity check is the MANIFEST protocol's gain over bicubic, which a wrongly wired
network that still loads the weights does not reach.
"""

from __future__ import annotations

import pytest
import torch
from arch_checks import assert_forward, assert_loads_strictly, needs_assets, seeded
from sanity import sr_gain

from cem_bench.core.assets import asset_path
from cem_bench.core.errors import CemBenchError
from cem_bench.models.loading import get_card, load_model, load_strict
from cem_bench.models.weights import read_state_dict
from model_registry.archs import architectures
from model_registry.archs.bsrn import BSRN, ESA, ESDB, Pointwise

CARD = "bsrn-s-x4"
CHECKPOINT = "checkpoints/sr/bsrn_ntire2022_x4.pth"


def _net(upscale: int = 4, seed: int = 0) -> BSRN:
    return seeded(lambda: BSRN(upscale=upscale), seed)


def test_registered_and_card_agrees() -> None:
    card = get_card(CARD)
    assert architectures()["bsrn"] is BSRN
    assert (card.architecture.source, card.architecture.name) == ("project", "bsrn")
    assert card.scale == 4 and card.tasks[0].task == "sr" and card.tasks[0].levels == [4]
    assert card.input.range == 1 and card.input.color == "rgb"
    assert card.weights.file == "sr/bsrn_ntire2022_x4.pth" and card.weights.key == "params"
    assert card.params == sum(p.numel() for p in BSRN(**card.architecture.kwargs).parameters())


def test_parameter_count_is_the_challenge_entry() -> None:
    """The NTIRE 2022 ESR report lists team 18's BSRN at 0.156 M parameters."""
    assert sum(p.numel() for p in BSRN().parameters()) == 156288


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_random_forward_shape_and_finite(scale: int) -> None:
    assert_forward(_net(scale), torch.rand(2, 3, 17, 15), (2, 3, 17 * scale, 15 * scale))


def test_too_small_input_is_one_clear_error() -> None:
    """Below 15 px the attention's 7x7 pool has no output: say so instead of torch's pooling error."""
    with pytest.raises(ValueError, match="at least 15x15"):
        _net()(torch.rand(1, 3, 14, 32))


def test_pointwise_is_the_checkpoints_linear_layer() -> None:
    """The checkpoint's pointwise maps are nn.Linear over channels: same weight, same result as a 1x1 conv."""
    torch.manual_seed(3)
    pointwise, linear = Pointwise(12, 48), torch.nn.Linear(12, 48)
    linear.load_state_dict(pointwise.state_dict())
    x = torch.randn(2, 12, 5, 7)
    with torch.no_grad():
        torch.testing.assert_close(pointwise(x), linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2))


def test_block_is_residual() -> None:
    """With a zero output projection an ESDB passes its input through unchanged."""
    torch.manual_seed(2)
    block = ESDB(48).eval()
    x = torch.randn(1, 48, 16, 16)
    with torch.no_grad():
        block.conv_out.weight.zero_()
        block.conv_out.bias.zero_()
        torch.testing.assert_close(block(x), x)


def test_spatial_attention_reaches_the_whole_block() -> None:
    """The pooled map is mixed by three 3x3 convs and resized over the whole input: a far pixel moves a corner."""
    torch.manual_seed(4)
    esa = ESA(48).eval()
    x = torch.randn(1, 48, 40, 40)
    moved = x.clone()
    moved[..., 30, 30] += 10.0
    with torch.no_grad():
        difference = (esa(moved) - esa(x)).abs()[..., :8, :8]  # a corner far beyond any 3x3 conv's reach
    assert difference.min() > 0


@needs_assets
def test_strict_load_through_card() -> None:
    model = assert_loads_strictly(CARD, CHECKPOINT, BSRN, key="params")
    assert model.scale == 4
    assert_forward(model, torch.rand(1, 3, 16, 20), (1, 3, 64, 80))


@needs_assets
def test_checkpoint_without_its_key_is_refused() -> None:
    with pytest.raises(CemBenchError, match="not a state dict of tensors"):
        read_state_dict(asset_path(CHECKPOINT))
    state = read_state_dict(asset_path(CHECKPOINT), key="params")
    state.pop("B5.cw")
    with pytest.raises(CemBenchError, match="missing"):
        load_strict(BSRN(), state, CARD)


@needs_assets
def test_sanity_gain_over_bicubic() -> None:
    """MANIFEST protocol (4 crops, PIL-bicubic LR, RGB PSNR): measured +1.64 dB; a miswired net loses dB."""
    torch.set_num_threads(min(2, torch.get_num_threads()))
    assert sr_gain(load_model(CARD), 4) > 1.4
