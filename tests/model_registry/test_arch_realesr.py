"""Real-ESRGAN realesr-animevideov3 x4 (SRVGGNetCompact), loaded through spandrel.

Always: the card names spandrel's Compact architecture, with the state dict under ``params``. With the
shared assets: the checkpoint strict-loads through the card and a forward has the right shape; the
network adds the nearest-upsampled input to what its body predicts (checked by silencing the body).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from spandrel.architectures.Compact import Compact

from cem_bench.core.assets import asset_path
from cem_bench.models.loading import get_card, load_model
from cem_bench.models.weights import read_state_dict

needs_assets = pytest.mark.skipif(asset_path("checkpoints") is None, reason="shared assets not available")
CARD = "realesr-animevideov3-x4"


def test_card_declares_spandrel_compact() -> None:
    card = get_card(CARD)
    assert (card.architecture.source, card.architecture.name) == ("spandrel", "Compact")
    assert card.scale == 4 and card.tasks[0].levels == [4]
    assert card.weights is not None and card.weights.key == "params" and card.weights.strip_prefix is None
    assert card.input.range == 1 and card.input.color == "rgb"


@needs_assets
def test_strict_load_and_forward_through_card() -> None:
    raw = read_state_dict(asset_path("checkpoints/sr/realesr_animevideov3_x4.pth"), key="params")
    model = load_model(CARD)
    network = model.network
    assert isinstance(network, Compact)
    loaded = network.state_dict()
    assert set(loaded) == set(raw)
    for key, value in raw.items():
        assert torch.equal(loaded[key], value), key
    assert model.parameter_count() == get_card(CARD).params
    x = torch.rand(1, 3, 12, 20)
    with torch.no_grad():
        y = model(x)
        assert y.shape == (1, 3, 48, 80) and torch.isfinite(y).all()
        last = network.body[-1]
        last.weight.zero_()
        last.bias.zero_()
        torch.testing.assert_close(model(x), F.interpolate(x, scale_factor=4, mode="nearest"))
