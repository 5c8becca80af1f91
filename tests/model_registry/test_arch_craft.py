"""CRAFT x4 (Li et al., ICCV 2023), loaded through spandrel.

Always: the card's layout (48 channels, 4 groups of depth 2, 4x16 rectangle windows) runs with random
weights on a size that is not a multiple of its 16-pixel window (spandrel's CRAFT mirror-pads the input
itself, as the authors' inference script does, and crops the output back). With the shared assets: the
checkpoint strict-loads through the card (state dict under ``params``) and the sanity gain matches MANIFEST.
"""

from __future__ import annotations

import pytest
import torch
from sanity import sr_gain
from spandrel.architectures.CRAFT import CRAFT

from cem_bench.core.assets import asset_path
from cem_bench.models.loading import get_card, load_model
from cem_bench.models.weights import read_state_dict

needs_assets = pytest.mark.skipif(asset_path("checkpoints") is None, reason="shared assets not available")

CARD = "craft-x4"


def _card_layout() -> CRAFT:
    return CRAFT(embed_dim=48, depths=[2, 2, 2, 2], num_heads=[6, 6, 6, 6], split_size_0=4, split_size_1=16,
                 window_size=16, upscale=4, img_range=1.0, resi_connection="1conv")


def test_card_declares_spandrel_craft() -> None:
    card = get_card(CARD)
    assert (card.architecture.source, card.architecture.name) == ("spandrel", "CRAFT")
    assert card.scale == 4 and card.weights is not None and card.weights.key == "params"


def test_random_forward_pads_to_window() -> None:
    """20x28 is no multiple of 16: the network must still return exactly 4x the input size."""
    torch.manual_seed(0)
    net = _card_layout().eval()
    assert sum(p.numel() for p in net.parameters()) == get_card(CARD).params
    x = torch.rand(1, 3, 20, 28)
    with torch.no_grad():
        y = net(x)
    assert y.shape == (1, 3, 80, 112)
    assert torch.isfinite(y).all()


@needs_assets
def test_strict_load_through_card() -> None:
    model = load_model(CARD)
    assert isinstance(model.network, CRAFT)
    state = read_state_dict(asset_path("checkpoints/sr/craft_x4.pth"), "params", None)
    loaded = model.network.state_dict()
    assert set(loaded) == set(state)
    for key, value in state.items():
        assert torch.equal(loaded[key], value), key
    assert model.parameter_count() == get_card(CARD).params


@needs_assets
def test_sanity_matches_manifest() -> None:
    torch.set_num_threads(min(2, torch.get_num_threads()))
    gain = sr_gain(load_model(CARD), 4)
    assert abs(gain - 2.32) < 0.1, gain
