"""FSRCNN x4 on luma: random-weight behaviour always; checkpoint + MANIFEST sanity (on Y) with assets."""

from __future__ import annotations

import pytest
import torch
from sanity import psnr, sr_batches

from cem_bench.core.assets import asset_path
from cem_bench.models.loading import get_card, load_model
from cem_bench.models.weights import read_state_dict
from model_registry.archs import architectures
from model_registry.archs.fsrcnn import FSRCNN

needs_assets = pytest.mark.skipif(asset_path("checkpoints") is None, reason="shared assets not available")
CARD = "fsrcnn-x4"
SHAVE = 8

# BT.601 studio-swing luma (MATLAB rgb2ycbcr): RGB in [0, 1] -> Y in [16, 235] / 255.
_Y_WEIGHTS = torch.tensor([65.481, 128.553, 24.966]) / 255.0


def luma(rgb: torch.Tensor) -> torch.Tensor:
    """[B, 3, H, W] RGB (clipped to [0, 1]) -> [B, 1, H, W] studio-swing Y in [0, 1]."""
    return torch.einsum("c,bchw->bhw", _Y_WEIGHTS, rgb.clamp(0, 1))[:, None] + 16.0 / 255.0


@torch.inference_mode()
def sr_y_psnrs(network: torch.nn.Module, scale: int = 4) -> tuple[float, float]:
    """(bicubic Y PSNR, network Y PSNR): the sanity protocol of ``sanity.sr_gain`` on the Y channel.

    Same crops, PIL bicubic LR and PyTorch bicubic baseline, 8-pixel shave and MSE pooled over the
    four crops; PSNR of Y in [16, 235] / 255 with peak 1. The network gets the LR's Y and its Y
    output is scored directly, as the FSRCNN authors' test does. This convention gives bicubic Y
    16.594 dB against MANIFEST's 16.59 (the 0-255 Y of yjn870's utils, whose R weight 64.738 is a
    typo of 65.738, gives 16.63; per-image means give ~18.1).
    """
    hr, lr, bicubic = sr_batches(scale)
    target = luma(hr)
    return psnr(luma(bicubic), target, shave=SHAVE), psnr(network(luma(lr)), target, shave=SHAVE)


def test_registered_and_card() -> None:
    assert architectures()["fsrcnn"] is FSRCNN
    card = get_card(CARD)
    assert card.scale == 4 and card.input.color == "luma" and card.input.range == 1
    net = FSRCNN(**card.architecture.kwargs)
    assert card.params == sum(p.numel() for p in net.parameters()) == 12809


@pytest.mark.parametrize("size", [(12, 12), (13, 7)])
def test_random_forward_shape_and_finite(size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    net = FSRCNN(scale=4).eval()
    with torch.no_grad():
        y = net(torch.rand(2, 1, *size))
    assert y.shape == (2, 1, size[0] * 4, size[1] * 4) and torch.isfinite(y).all()


def test_layout_matches_published_keys() -> None:
    """d=56, s=12, m=4: 1 + 1 + 2*4 + 1 PReLU'd convs, then one 9x9 transposed conv to one channel."""
    state = FSRCNN().state_dict()
    assert state["first_part.0.weight"].shape == (56, 1, 5, 5) and state["first_part.1.weight"].shape == (56,)
    assert state["mid_part.0.weight"].shape == (12, 56, 1, 1) and state["mid_part.10.weight"].shape == (56, 12, 1, 1)
    assert state["last_part.weight"].shape == (56, 1, 9, 9) and state["last_part.bias"].shape == (1,)
    assert len(state) == 23


def test_transposed_conv_alignment() -> None:
    """An impulse at LR pixel (i, j) spreads over the 9x9 window centred on HR pixel (4i, 4j)."""
    net = FSRCNN(scale=4).eval()
    with torch.no_grad():
        for module in (net.first_part, net.mid_part):
            for layer in module:
                if isinstance(layer, torch.nn.Conv2d):  # identity-like path: channel 0 passes through
                    layer.weight.zero_()
                    layer.bias.zero_()
                    layer.weight[0, 0, layer.kernel_size[0] // 2, layer.kernel_size[1] // 2] = 1.0
        net.last_part.weight.zero_()
        net.last_part.bias.zero_()
        net.last_part.weight[0, 0] = 1.0
        x = torch.zeros(1, 1, 8, 8)
        x[0, 0, 3, 5] = 1.0
        support = net(x)[0, 0].nonzero()
    assert support[:, 0].min() == 12 - 4 and support[:, 0].max() == 12 + 4
    assert support[:, 1].min() == 20 - 4 and support[:, 1].max() == 20 + 4


@needs_assets
def test_strict_load_through_card() -> None:
    model = load_model(CARD)
    assert isinstance(model.network, FSRCNN)
    state = read_state_dict(asset_path("checkpoints/sr/fsrcnn_x4.pth"), None, None)
    loaded = model.network.state_dict()
    assert set(loaded) == set(state)
    for key, value in state.items():
        assert torch.equal(loaded[key], value), key


@needs_assets
def test_loader_feeds_studio_swing_luma() -> None:
    """The loader's luma path gives the network the Y it was trained on and keeps its Y output."""
    model = load_model(CARD)
    _, lr, _ = sr_batches(4)
    with torch.no_grad():
        rgb = model(lr[:1, :, :24, :24])
        expected = model.network(luma(lr[:1, :, :24, :24]))
    # Unclipped Y of the loader's RGB output (the YCbCr round trip is linear).
    y = torch.einsum("c,bchw->bhw", _Y_WEIGHTS, rgb)[:, None] + 16.0 / 255.0
    torch.testing.assert_close(y, expected, atol=1e-5, rtol=0)


@needs_assets
def test_sanity_matches_manifest() -> None:
    """MANIFEST: gain on Y +0.50 dB, bicubic Y 16.59 dB."""
    torch.set_num_threads(min(2, torch.get_num_threads()))
    model = load_model(CARD)
    bicubic, out = sr_y_psnrs(model.network)
    assert abs(bicubic - 16.59) < 0.1, bicubic
    assert abs(out - bicubic - 0.50) < 0.1, out - bicubic
    # End to end (RGB output clipped, then Y) the figure moves by ~0.02 dB only.
    hr, lr, _ = sr_batches(4)
    with torch.inference_mode():
        end_to_end = psnr(luma(model(lr)), luma(hr), shave=SHAVE)
    assert abs(end_to_end - out) < 0.1, end_to_end
