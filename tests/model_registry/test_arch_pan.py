"""PAN x4 (nf 40, unf 24, nb 16): random-weight behaviour always; checkpoint + MANIFEST sanity with assets."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from sanity import sr_gain

from cem_bench.core.assets import asset_path
from cem_bench.models.loading import get_card, load_model
from cem_bench.models.weights import read_state_dict
from model_registry.archs import architectures
from model_registry.archs.pan import PAN, SCPA, PAConv, PixelAttention

needs_assets = pytest.mark.skipif(asset_path("checkpoints") is None, reason="shared assets not available")
CARD = "pan-x4"


def _net(scale: int = 4, seed: int = 0) -> PAN:
    torch.manual_seed(seed)
    return PAN(scale=scale).eval()


def test_registered_and_card_agrees() -> None:
    card = get_card(CARD)
    assert architectures()["pan"] is PAN
    assert card.architecture.source == "project" and card.architecture.name == "pan"
    assert card.architecture.kwargs == {"scale": 4, "nf": 40, "unf": 24, "nb": 16}
    assert card.scale == 4 and "sr" in card.task_names and card.tasks[0].levels == [4]
    assert card.input.range == 1 and card.input.color == "rgb"
    assert card.weights.file == "sr/pan_x4.pth" and card.weights.strip_prefix is None
    assert card.params == sum(p.numel() for p in PAN(**card.architecture.kwargs).parameters())


def test_parameter_count_matches_the_paper() -> None:
    """The PAN paper reports 272K parameters for x4."""
    assert sum(p.numel() for p in PAN(scale=4).parameters()) == 272419


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_random_forward_shape_and_finite(scale: int) -> None:
    x = torch.rand(2, 3, 9, 14)
    with torch.no_grad():
        y = _net(scale)(x)
    assert y.shape == (2, 3, 9 * scale, 14 * scale) and torch.isfinite(y).all()


def test_second_upsampling_stage_only_for_x4() -> None:
    assert "upconv2.weight" in PAN(scale=4).state_dict()
    assert not any(key.startswith(("upconv2", "att2", "HRconv2")) for key in PAN(scale=2).state_dict())
    with pytest.raises(ValueError):
        PAN(scale=8)


def test_bilinear_skip_of_the_input() -> None:
    """With a zero last conv the output is exactly the bilinearly upsampled input."""
    net, x = _net(4), torch.rand(1, 3, 7, 5)
    with torch.no_grad():
        net.conv_last.weight.zero_()
        net.conv_last.bias.zero_()
        expected = F.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)
        torch.testing.assert_close(net(x), expected)


def test_pixel_attention_is_a_per_pixel_gate() -> None:
    torch.manual_seed(3)
    pa = PixelAttention(6).eval()
    x = torch.randn(2, 6, 5, 4)
    with torch.no_grad():
        gate = torch.sigmoid(F.conv2d(x, pa.conv.weight, pa.conv.bias))
        torch.testing.assert_close(pa(x), x * gate)
        pa.conv.weight.zero_()
        pa.conv.bias.zero_()
        torch.testing.assert_close(pa(x), x * 0.5)


def test_paconv_formula() -> None:
    """PAConv = k4(k3(x) * sigmoid(k2(x))); k3 / k4 have no bias."""
    torch.manual_seed(4)
    conv = PAConv(8).eval()
    assert conv.k3.bias is None and conv.k4.bias is None and conv.k2.bias is not None
    x = torch.randn(1, 8, 6, 6)
    with torch.no_grad():
        gate = torch.sigmoid(F.conv2d(x, conv.k2.weight, conv.k2.bias))
        expected = F.conv2d(F.conv2d(x, conv.k3.weight, padding=1) * gate, conv.k4.weight, padding=1)
        torch.testing.assert_close(conv(x), expected)


def test_scpa_is_residual_with_two_branches() -> None:
    torch.manual_seed(5)
    block = SCPA(40).eval()
    assert block.conv1_a.weight.shape == (20, 40, 1, 1) and block.conv3.weight.shape == (40, 40, 1, 1)
    x = torch.randn(1, 40, 6, 6)
    with torch.no_grad():
        block.conv3.weight.zero_()
        torch.testing.assert_close(block(x), x)


@needs_assets
def test_strict_load_through_card() -> None:
    state = read_state_dict(asset_path("checkpoints/sr/pan_x4.pth"))
    model = load_model(CARD)
    assert isinstance(model.network, PAN) and model.scale == 4
    loaded = model.network.state_dict()
    assert set(loaded) == set(state)
    for key, value in state.items():
        assert torch.equal(loaded[key], value), key
    with torch.no_grad():
        assert model(torch.rand(1, 3, 10, 12)).shape == (1, 3, 40, 48)


@needs_assets
def test_sanity_matches_manifest() -> None:
    torch.set_num_threads(min(2, torch.get_num_threads()))
    gain = sr_gain(load_model(CARD), 4)
    assert abs(gain - 1.39) < 0.1, gain
