"""GRL-tiny x4 (Li et al., CVPR 2023), loaded through spandrel.

Always: the card names spandrel's GRL and says why the model matters. With the shared assets: the
checkpoint (``model.``-prefixed keys) strict-loads through the card into the authors' SR configuration
(window 32, stripes 64x64, anchor down-factor 4) and one forward on a small input has the right shape.
GRL is slow on a CPU (tens of seconds per 64x64 input on a shared machine): one forward only, marked slow.
"""

from __future__ import annotations

import pytest
import torch
from spandrel.architectures.GRL import GRL

from cem_bench.core.assets import asset_path
from cem_bench.models.loading import get_card, load_model
from cem_bench.models.weights import read_state_dict

needs_assets = pytest.mark.skipif(asset_path("checkpoints") is None, reason="shared assets not available")
CARD = "grl-tiny-x4"


def test_card_declares_spandrel_grl() -> None:
    card = get_card(CARD)
    assert (card.architecture.source, card.architecture.name) == ("spandrel", "GRL")
    assert card.scale == 4 and card.tasks[0].levels == [4]
    assert card.weights is not None and card.weights.strip_prefix == "model." and card.weights.key is None
    assert card.input.range == 1 and card.input.color == "rgb"
    assert "findings" in card.description and "global" in card.description


@needs_assets
def test_strict_load_through_card() -> None:
    raw = read_state_dict(asset_path("checkpoints/sr/grl_tiny_x4.ckpt"))
    assert all(key.startswith("model.") for key in raw)
    network = load_model(CARD).network
    assert isinstance(network, GRL)
    # The authors' SR configuration (config/experiment/sr/grl/grl_p256.yaml + model/grl/grl_tiny.yaml).
    assert tuple(network.window_size) == (32, 32) and list(network.stripe_size) == [64, 64]
    assert network.anchor_window_down_factor == 4 and network.upsampler == "pixelshuffledirect"
    loaded = network.state_dict()
    assert set(loaded) == {key.removeprefix("model.") for key in raw}
    for key, value in raw.items():
        assert torch.equal(loaded[key.removeprefix("model.")], value), key
    assert sum(p.numel() for p in network.parameters()) == get_card(CARD).params


@needs_assets
@pytest.mark.slow
def test_forward_through_card() -> None:
    """16x20 is padded to one 64x64 stripe inside and cropped back: exactly 4x the input comes out."""
    torch.set_num_threads(min(2, torch.get_num_threads()))
    with torch.no_grad():
        y = load_model(CARD)(torch.rand(1, 3, 16, 20))
    assert y.shape == (1, 3, 64, 80) and torch.isfinite(y).all()
