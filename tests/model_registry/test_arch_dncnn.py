"""DnCNN colour blind, loaded through spandrel: random-weight forward always; checkpoint + sanity with assets."""

from __future__ import annotations

import pytest
import torch
from sanity import dn_psnr
from spandrel.architectures.DnCNN import DnCNN

from cem_bench.core.assets import asset_path
from cem_bench.models.loading import get_card, load_model
from cem_bench.models.weights import read_state_dict

needs_assets = pytest.mark.skipif(asset_path("checkpoints") is None, reason="shared assets not available")


def test_random_forward_residual() -> None:
    """The card's layout (20 layers, 64 ch, ReLU, no BN) runs and returns input minus predicted noise."""
    torch.manual_seed(0)
    net = DnCNN(in_nc=3, out_nc=3, nc=64, nb=20, act_mode="R").eval()
    x = torch.rand(1, 3, 23, 17)
    with torch.no_grad():
        y = net(x)
        torch.testing.assert_close(y, x - net.model(x))
    assert y.shape == x.shape and torch.isfinite(y).all()
    assert sum(p.numel() for p in net.parameters()) == get_card("dncnn-color-blind").params


@needs_assets
def test_strict_load_through_card() -> None:
    model = load_model("dncnn-color-blind")
    assert isinstance(model.network, DnCNN)
    state = read_state_dict(asset_path("checkpoints/dn/dncnn_color_blind.pth"), None, None)
    loaded = model.network.state_dict()
    assert set(loaded) == set(state)
    for key, value in state.items():
        assert torch.equal(loaded[key], value), key
    assert model.parameter_count() == get_card("dncnn-color-blind").params


@needs_assets
@pytest.mark.parametrize("sigma, noisy_ref, out_ref", [(25, 20.85, 28.09), (50, 15.42, 25.16)])
def test_sanity_matches_manifest(sigma: float, noisy_ref: float, out_ref: float) -> None:
    torch.set_num_threads(min(2, torch.get_num_threads()))
    noisy, out = dn_psnr(load_model("dncnn-color-blind"), sigma)
    assert abs(noisy - noisy_ref) < 0.1, noisy
    assert abs(out - out_ref) < 0.1, out
