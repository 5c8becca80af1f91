"""The zoo's architectures: RCAN attention switch, same-size SRResNet, SwinIR padded to whole windows."""

from __future__ import annotations

import pytest
import torch

from model_registry.archs import architectures
from model_registry.archs.zoo_rcan import WindowChannelAttention, ZooRCAN
from model_registry.archs.zoo_srresnet import SameSizeSRResNet
from model_registry.archs.zoo_swinir import PaddedSwinIR
from model_registry.compat import import_basicsr_archs

TINY_RCAN = {"num_feat": 16, "num_group": 1, "num_block": 2, "squeeze_factor": 4}


def test_zoo_architectures_are_registered():
    assert {"zoo_rcan", "zoo_srresnet", "zoo_swinir"} <= set(architectures())


@pytest.mark.parametrize("upscale", [1, 4])
def test_rcan_variants_differ_only_in_attention(upscale):
    torch.manual_seed(0)
    nets = {a: ZooRCAN(a, window=4, upscale=upscale, **TINY_RCAN).eval() for a in ("channel", "none", "window")}
    import_basicsr_archs()
    from basicsr.archs.rcan_arch import RCAN

    plain = {f"net.{k}": v.shape for k, v in RCAN(3, 3, upscale=upscale, **TINY_RCAN).state_dict().items()}
    shapes = {a: {k: v.shape for k, v in net.state_dict().items()} for a, net in nets.items()}
    assert shapes["channel"] == plain == shapes["window"]  # same parameters, only the pooling differs
    removed = set(plain) - set(shapes["none"])
    assert removed and all(".rcab.3.attention." in key for key in removed)
    x = torch.rand(1, 3, 12, 12)
    with torch.no_grad():
        outs = {a: net(x) for a, net in nets.items()}
    assert all(out.shape == (1, 3, 12 * upscale, 12 * upscale) for out in outs.values())


def channel_attention(window: int | None) -> torch.nn.Module:
    import_basicsr_archs()
    from basicsr.archs.rcan_arch import ChannelAttention

    torch.manual_seed(1)
    module = ChannelAttention(8, 2)
    return module if window is None else WindowChannelAttention(module, window)


def test_window_attention_is_local_and_global_attention_is_not():
    x = torch.rand(1, 8, 10, 10)
    far = x.clone()
    far[..., 8:, 8:] += 1.0  # changes only the bottom-right (partial) window
    local, full = channel_attention(4), channel_attention(None)
    with torch.no_grad():
        assert torch.equal(local(x)[..., :8, :8], local(far)[..., :8, :8])
        assert not torch.equal(local(x)[..., 8:, 8:], local(far)[..., 8:, 8:])
        assert not torch.equal(full(x)[..., :8, :8], full(far)[..., :8, :8])


def test_window_covering_the_map_equals_global_attention():
    x = torch.rand(2, 8, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(channel_attention(6)(x), channel_attention(None)(x))


def test_same_size_srresnet_predicts_a_residual():
    torch.manual_seed(0)
    net = SameSizeSRResNet(num_feat=8, num_block=2).eval()
    assert {"conv_first.weight", "body.1.conv2.weight", "conv_hr.weight", "conv_last.weight"} <= set(net.state_dict())
    torch.nn.init.zeros_(net.conv_last.weight)
    torch.nn.init.zeros_(net.conv_last.bias)
    x = torch.rand(1, 3, 9, 7)
    with torch.no_grad():
        assert torch.equal(net(x), x)  # zero last layer -> identity: the skip is from the input
    with pytest.raises(ValueError):
        SameSizeSRResNet(num_in_ch=1, num_out_ch=3)


SWIN = {"img_size": 8, "embed_dim": 12, "depths": [1], "num_heads": [2], "window_size": 4, "mlp_ratio": 2.0,
        "drop_path_rate": 0.0, "upscale": 2, "upsampler": "pixelshuffledirect"}


def test_padded_swinir_takes_any_size_and_matches_basicsr_on_whole_windows():
    torch.manual_seed(0)
    net = PaddedSwinIR(**SWIN).eval()
    with torch.no_grad():
        assert net(torch.rand(1, 3, 7, 10)).shape == (1, 3, 14, 20)
        assert net(torch.rand(1, 3, 2, 3)).shape == (1, 3, 4, 6)  # too small to reflect: replicated
        x = torch.rand(1, 3, 8, 8)
        assert torch.equal(net(x), net.net(x))


def test_input_skip_starts_from_the_bilinear_upsample_without_a_mean_shift():
    from model_registry.archs.zoo_skip import bilinear_skip

    torch.manual_seed(0)
    rcan = ZooRCAN("channel", skip=True, upscale=4, **TINY_RCAN).eval()
    torch.nn.init.zeros_(rcan.net.conv_last.weight)
    torch.nn.init.zeros_(rcan.net.conv_last.bias)
    swin = PaddedSwinIR(skip=True, **{**SWIN, "upscale": 4}).eval()
    x = torch.rand(1, 3, 8, 8)
    with torch.no_grad():
        assert torch.equal(rcan(x), bilinear_skip(x, 4))  # zero last layer: exactly the skip, no mean added
        assert torch.equal(swin.net.mean, torch.zeros(1, 3, 1, 1))
    with pytest.raises(ValueError, match="rgb_mean"):
        ZooRCAN("channel", skip=True, rgb_mean=(0.4, 0.4, 0.4), **TINY_RCAN)
