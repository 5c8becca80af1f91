"""CARN-M (multi-scale, group 4): random-weight behaviour always; checkpoint + MANIFEST sanity with assets."""

from __future__ import annotations

import pytest
import torch
from sanity import sr_gain

from cem_bench.core.assets import asset_path
from cem_bench.models.loading import get_card, load_model
from cem_bench.models.weights import read_state_dict
from model_registry.archs import architectures
from model_registry.archs.carn import CARNM, DIV2K_MEAN

needs_assets = pytest.mark.skipif(asset_path("checkpoints") is None, reason="shared assets not available")
CARDS = {2: "carn-m-x2", 3: "carn-m-x3", 4: "carn-m-x4"}


def _net(seed: int = 0) -> CARNM:
    torch.manual_seed(seed)
    return CARNM().eval()


def test_registered_and_cards_agree() -> None:
    assert architectures()["carn_m"] is CARNM
    cards = {scale: get_card(name) for scale, name in CARDS.items()}
    for scale, card in cards.items():
        assert card.scale == scale and card.input.scale_argument and card.input.range == 1
        assert card.architecture.name == "carn_m"
        assert card.weights == cards[4].weights  # one multi-scale checkpoint for all three
        assert card.params == sum(p.numel() for p in CARNM(**card.architecture.kwargs).parameters())


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_random_forward_shape_and_finite(scale: int) -> None:
    x = torch.rand(2, 3, 13, 10)
    with torch.no_grad():
        y = _net()(x, scale)
    assert y.shape == (2, 3, 13 * scale, 10 * scale) and torch.isfinite(y).all()


def test_unknown_scale_is_refused() -> None:
    with pytest.raises(ValueError):
        _net()(torch.rand(1, 3, 8, 8), 8)


def test_shared_residual_block_and_group_convs() -> None:
    """CARN-M's blocks reuse one residual block three times; its 3x3 convs are group-4."""
    net = _net()
    keys = set(net.state_dict())
    assert "b1.b1.body.0.weight" in keys and not any(".b2.body" in key or ".b3.body" in key for key in keys)
    assert net.b1.b1.body[0].weight.shape == (64, 16, 3, 3)
    assert net.upsample.up4.body[3].weight.shape == (256, 16, 3, 3)
    assert net.upsample.up3.body[0].weight.shape == (576, 16, 3, 3)


def test_mean_shift_in_and_out() -> None:
    """With a zero exit conv the output is the DIV2K mean; the entry conv sees ``x - mean``."""
    net = _net()
    with torch.no_grad():
        net.exit.weight.zero_()
        net.exit.bias.zero_()
        y = net(torch.rand(1, 3, 6, 6), 2)
        torch.testing.assert_close(y, torch.tensor(DIV2K_MEAN).view(1, 3, 1, 1).expand_as(y))
        mean_image = torch.tensor(DIV2K_MEAN).view(1, 3, 1, 1).expand(1, 3, 5, 5)
        torch.testing.assert_close(net.sub_mean(mean_image), torch.zeros(1, 3, 5, 5))


def test_scale_selects_upsampler_only() -> None:
    """Changing up3's weights changes the x3 output and leaves x2 / x4 alone."""
    net, x = _net(), torch.rand(1, 3, 9, 9)
    with torch.no_grad():
        before = {scale: net(x, scale) for scale in (2, 3, 4)}
        net.upsample.up3.body[0].bias.add_(0.5)
        after = {scale: net(x, scale) for scale in (2, 3, 4)}
    assert torch.equal(before[2], after[2]) and torch.equal(before[4], after[4])
    assert not torch.allclose(before[3], after[3])


@needs_assets
def test_strict_load_through_cards() -> None:
    state = read_state_dict(asset_path("checkpoints/sr/carn_m.pth"), None, None)
    for scale, name in CARDS.items():
        model = load_model(name)
        assert isinstance(model.network, CARNM) and model.scale == scale
        loaded = model.network.state_dict()
        assert set(loaded) == set(state)
        for key, value in state.items():
            assert torch.equal(loaded[key], value), key
        with torch.no_grad():
            assert model(torch.rand(1, 3, 12, 12)).shape == (1, 3, 12 * scale, 12 * scale)


@needs_assets
@pytest.mark.parametrize("scale, reference", [(4, 1.04), (2, 3.37)])
def test_sanity_matches_manifest(scale: int, reference: float) -> None:
    torch.set_num_threads(min(2, torch.get_num_threads()))
    gain = sr_gain(load_model(CARDS[scale]), scale)
    assert abs(gain - reference) < 0.1, gain


@needs_assets
def test_sanity_x3_between_x4_and_x2() -> None:
    """No MANIFEST figure for x3 (measured +1.78 dB); its gain must lie between x4's and x2's."""
    torch.set_num_threads(min(2, torch.get_num_threads()))
    gain = sr_gain(load_model(CARDS[3]), 3)
    assert 1.04 + 0.3 < gain < 3.37 - 0.3, gain
