"""The reference zoo's architectures build and run (their training and cards are issue 4's work)."""

from __future__ import annotations

import pytest
import torch

from model_registry.archs import architectures

RCAN = {"num_feat": 16, "num_group": 1, "num_block": 2, "squeeze_factor": 4, "upscale": 4}


@pytest.mark.parametrize("attention", ["channel", "none", "window"])
def test_zoo_rcan_variants_share_their_parameters_except_the_attention(attention):
    net = architectures()["zoo_rcan"](attention=attention, window=4, **RCAN).eval()
    with torch.no_grad():
        assert net(torch.rand(1, 3, 12, 12)).shape == (1, 3, 48, 48)
    full = architectures()["zoo_rcan"](attention="channel", **RCAN)
    names, full_names = set(net.state_dict()), set(full.state_dict())
    assert (names == full_names) if attention != "none" else (names < full_names)


def test_window_attention_only_sees_its_window():
    """A change in one 4x4 window leaves the attention gates of distant windows untouched."""
    from model_registry.archs.zoo_rcan import WindowMean

    pool = WindowMean(4)
    x = torch.rand(1, 2, 16, 16)
    y = x.clone()
    y[..., :4, :4] += 1
    changed = (pool(x) != pool(y)).any(dim=1)[0]
    assert changed[0, 0] and changed.sum() == 1


def test_zoo_srresnet_is_same_size():
    net = architectures()["zoo_srresnet"](num_feat=8, num_block=2).eval()
    with torch.no_grad():
        assert net(torch.rand(1, 3, 10, 14)).shape == (1, 3, 10, 14)


def test_zoo_swinir_accepts_sizes_that_are_not_window_multiples():
    net = architectures()["zoo_swinir"](upscale=4, img_size=16, window_size=4, embed_dim=12, depths=[1],
                                      num_heads=[2], mlp_ratio=2, upsampler="pixelshuffledirect").eval()
    with torch.no_grad():
        assert net(torch.rand(1, 3, 10, 13)).shape == (1, 3, 40, 52)
