"""IMDN x2 / x4: random-weight behaviour always; checkpoints + MANIFEST sanity with assets."""

from __future__ import annotations

import pytest
import torch
from sanity import sr_gain

from cem_bench.core.assets import asset_path
from cem_bench.core.errors import CemBenchError
from cem_bench.models.loading import get_card, load_model, load_strict
from cem_bench.models.weights import read_state_dict
from model_registry.archs import architectures
from model_registry.archs.imdn import IMDN, ContrastChannelAttention, IMDBlock

needs_assets = pytest.mark.skipif(asset_path("checkpoints") is None, reason="shared assets not available")
CARDS = {4: ("imdn-x4", "sr/imdn_x4.pth", 1.21), 2: ("imdn-x2", "sr/imdn_x2.pth", 4.68)}


def _net(upscale: int = 4, seed: int = 0) -> IMDN:
    torch.manual_seed(seed)
    return IMDN(upscale=upscale).eval()


@pytest.mark.parametrize("scale", [2, 4])
def test_registered_and_card_agrees(scale: int) -> None:
    name, checkpoint, _ = CARDS[scale]
    card = get_card(name)
    assert architectures()["imdn"] is IMDN
    assert card.architecture.source == "project" and card.architecture.name == "imdn"
    assert card.architecture.kwargs == {"upscale": scale}
    assert card.scale == scale and "sr" in card.task_names and card.tasks[0].levels == [scale]
    assert card.input.range == 1 and card.input.color == "rgb"
    assert not card.input.scale_argument and not card.input.noise_map
    assert card.weights.file == checkpoint and card.weights.strip_prefix == "module."
    assert card.params == sum(p.numel() for p in IMDN(**card.architecture.kwargs).parameters())


def test_parameter_counts_match_the_paper() -> None:
    """IMDN's paper reports 715K parameters for x4 (694K for x2: only the upsampler conv differs)."""
    counts = {scale: sum(p.numel() for p in IMDN(upscale=scale).parameters()) for scale in (2, 4)}
    assert counts == {4: 715176, 2: 694404}


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_random_forward_shape_and_finite(scale: int) -> None:
    x = torch.rand(2, 3, 11, 7)
    with torch.no_grad():
        y = _net(scale)(x)
    assert y.shape == (2, 3, 11 * scale, 7 * scale) and torch.isfinite(y).all()


def test_distillation_split_shapes() -> None:
    """Rate 1/4 of 64 channels: each step keeps 16 and refines 48; c4 emits the last 16."""
    block = IMDBlock(64)
    assert (block.distilled, block.remaining) == (16, 48)
    assert block.c2.weight.shape == (64, 48, 3, 3) and block.c4.weight.shape == (16, 48, 3, 3)
    assert block.c5.weight.shape == (64, 64, 1, 1) and block.cca.conv_du[0].weight.shape == (4, 64, 1, 1)


def test_contrast_channel_attention_formula() -> None:
    """CCA weights come from per-channel population std + mean, through 1x1 / ReLU / 1x1 / sigmoid."""
    torch.manual_seed(1)
    cca = ContrastChannelAttention(32).eval()
    x = torch.randn(2, 32, 9, 5)
    stat = x.std(dim=(2, 3), unbiased=False, keepdim=True) + x.mean(dim=(2, 3), keepdim=True)
    down, up = cca.conv_du[0], cca.conv_du[2]
    hidden = torch.relu(torch.einsum("oc,bcij->boij", down.weight[:, :, 0, 0], stat) + down.bias[:, None, None])
    gate = torch.sigmoid(torch.einsum("oc,bcij->boij", up.weight[:, :, 0, 0], hidden) + up.bias[:, None, None])
    with torch.no_grad():
        torch.testing.assert_close(cca(x), x * gate)


def test_block_is_residual() -> None:
    """With a zero fusion conv (c5) an IMDB passes its input through unchanged."""
    torch.manual_seed(2)
    block = IMDBlock(64).eval()
    x = torch.randn(1, 64, 6, 6)
    with torch.no_grad():
        block.c5.weight.zero_()
        block.c5.bias.zero_()
        torch.testing.assert_close(block(x), x)


def test_pixel_shuffle_output_layout() -> None:
    """Output pixel (c, r*y + i, r*x + j) comes from upsampler channel c*r*r + i*r + j."""
    net, r = _net(4), 4
    with torch.no_grad():
        conv = net.upsampler[0]
        conv.weight.zero_()
        conv.bias.copy_(torch.arange(3 * r * r, dtype=torch.float32))
        y = net(torch.rand(1, 3, 2, 3))
    for c, i, j in ((0, 0, 0), (1, 2, 3), (2, 3, 1)):
        assert torch.all(y[0, c, i::r, j::r] == c * r * r + i * r + j)


def test_features_feed_the_long_skip() -> None:
    """With LR_conv zeroed the trunk is bypassed: the output depends on fea_conv and upsampler only."""
    net, x = _net(2), torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        net.LR_conv.weight.zero_()
        net.LR_conv.bias.zero_()
        before = net(x)
        for index in range(1, 7):
            getattr(net, f"IMDB{index}").c1.bias.add_(1.0)
        torch.testing.assert_close(net(x), before)


@needs_assets
@pytest.mark.parametrize("scale", [4, 2])
def test_strict_load_through_card(scale: int) -> None:
    name, checkpoint, _ = CARDS[scale]
    raw = read_state_dict(asset_path(f"checkpoints/{checkpoint}"))
    assert all(key.startswith("module.") for key in raw)
    model = load_model(name)
    assert isinstance(model.network, IMDN) and model.scale == scale
    loaded = model.network.state_dict()
    assert set(loaded) == {key.removeprefix("module.") for key in raw}
    for key, value in raw.items():
        assert torch.equal(loaded[key.removeprefix("module.")], value), key
    with torch.no_grad():
        assert model(torch.rand(1, 3, 10, 12)).shape == (1, 3, 10 * scale, 12 * scale)


@needs_assets
def test_unstripped_checkpoint_is_refused() -> None:
    raw = read_state_dict(asset_path("checkpoints/sr/imdn_x4.pth"))
    with pytest.raises(CemBenchError, match="missing"):
        load_strict(IMDN(upscale=4), raw, "imdn-x4")


@needs_assets
def test_wrong_scale_checkpoint_is_refused() -> None:
    state = read_state_dict(asset_path("checkpoints/sr/imdn_x2.pth"), strip_prefix="module.")
    with pytest.raises(CemBenchError, match="wrong shape"):
        load_strict(IMDN(upscale=4), state, "imdn-x4")


@needs_assets
@pytest.mark.parametrize("scale", [4, 2])
def test_sanity_matches_manifest(scale: int) -> None:
    name, _, reference = CARDS[scale]
    torch.set_num_threads(min(2, torch.get_num_threads()))
    gain = sr_gain(load_model(name), scale)
    assert abs(gain - reference) < 0.1, gain
