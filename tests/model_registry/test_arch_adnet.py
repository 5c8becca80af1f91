"""ADNet (Tian et al., Neural Networks 2020): structure with random weights; with the shared assets, the
authors' colour checkpoints load strictly through their cards and denoise the MANIFEST sanity crops.

The pooled sanity figures (``sanity.dn_psnr``: four 240x240 crops, torch seed 0, sigma 50, noisy input
15.42 dB; dncnn-color-blind gives the MANIFEST's 25.16 dB there) were measured with this code; the
CBSD68 check with the authors' test protocol is ``benchmarks/registry_sanity.py dn``
(``benchmarks/README.md``).
"""

from __future__ import annotations

import pytest
import torch
from arch_checks import assert_forward, assert_loads_strictly, needs_assets, seeded
from sanity import dn_psnr

from cem_bench.core.assets import asset_path
from cem_bench.core.tasks import get_task
from cem_bench.models.loading import get_card, load_model
from model_registry.archs import architectures
from model_registry.archs.adnet import ADNet

CARDS = {"adnet-color-blind": "dn/adnet_color_blind", "adnet-color-s50": "dn/adnet_color_s50"}
# Pooled PSNR (dB) of the sanity crops at sigma 50, measured with this code (noisy input: 15.42 dB).
MEASURED_S50 = {"adnet-color-blind": 25.65, "adnet-color-s50": 26.13}


def _net(order: str = "rgb", seed: int = 0) -> ADNet:
    net = seeded(lambda: ADNet(channel_order=order), seed)
    with torch.no_grad():  # non-trivial BN statistics, so a wrong BN wiring would show
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    return net


@pytest.mark.parametrize("name", sorted(CARDS))
def test_registered_and_card_agrees(name: str) -> None:
    card = get_card(name)
    assert architectures()["adnet"] is ADNet
    assert card.architecture.source == "project" and card.architecture.name == "adnet"
    assert card.architecture.kwargs == {"channel_order": "bgr"}  # the authors trained on OpenCV's BGR
    assert card.weights.strip_prefix == "module." and card.weights.file == CARDS[name] + ".pth"
    assert card.input.range == 1 and card.input.color == "rgb" and not card.input.noise_map
    assert card.params == sum(p.numel() for p in ADNet().parameters()) == 521493
    assert "matters for the findings" in card.description.lower() and "attention" in card.description


def test_task_levels() -> None:
    blind, s50 = get_card("adnet-color-blind"), get_card("adnet-color-s50")
    assert blind.tasks[0].levels == [0, 55]  # blind range: the authors draw sigma ~ U(0, 55)
    assert s50.tasks[0].levels == [50]


def test_key_layout_and_dilations() -> None:
    keys = list(ADNet().state_dict())
    assert len(keys) == 93 and keys[0] == "conv1_1.0.weight" and keys[-2:] == ["conv3.weight", "conv3.bias"]
    net = ADNet()
    dilated = [i for i in range(1, 16) if getattr(net, f"conv1_{i}")[0].dilation == (2, 2)]
    assert dilated == [2, 5, 9, 12]
    assert net.conv1_16.bias is None and net.conv3.kernel_size == (1, 1)


@pytest.mark.parametrize("size", [(32, 40), (17, 23)])
def test_random_forward_is_input_minus_attended_noise(size: tuple[int, int]) -> None:
    net, y = _net(), torch.rand(2, 3, *size)
    out = assert_forward(net, y, tuple(y.shape))
    with torch.no_grad():
        noise, attention = net.noise_and_attention(y)
    torch.testing.assert_close(out, y - attention * noise)
    assert attention.shape == noise.shape == y.shape


def test_bgr_order_flips_channels_around_the_same_network() -> None:
    rgb, bgr = _net("rgb"), _net("bgr")
    bgr.load_state_dict(rgb.state_dict())
    y = torch.rand(1, 3, 24, 24)
    with torch.no_grad():
        torch.testing.assert_close(bgr(y), rgb(y.flip(1)).flip(1))
        assert (bgr(y) - rgb(y)).abs().max() > 1e-4  # the order matters: the first conv mixes channels
    with pytest.raises(ValueError, match="channel_order"):
        ADNet(channel_order="grb")


def test_receptive_field_is_41_pixels_and_attention_is_local() -> None:
    """A change 20 px from the centre reaches it, one 21 px away does not: the attention adds no reach.

    In float64: through 16 layers of single corner taps the change is far below float32 resolution."""
    net, y = _net().double(), torch.rand(1, 3, 61, 61, dtype=torch.float64)
    with torch.no_grad():
        base = net(y)[..., 30, 30]
        near, far = y.clone(), y.clone()
        near[..., 30, 50] += 0.5
        far[..., 30, 51] += 0.5
        assert (net(near)[..., 30, 30] - base).abs().max() > 0
        torch.testing.assert_close(net(far)[..., 30, 30], base, rtol=0, atol=0)


@needs_assets
@pytest.mark.assets
@pytest.mark.parametrize("name", sorted(CARDS))
def test_checkpoint_loads_strictly_through_card(name: str) -> None:
    # strict load, sha256 checked, `module.` stripped
    model = assert_loads_strictly(name, f"checkpoints/{CARDS[name]}.pth", ADNet, strip_prefix="module.")
    assert model.network.flip_channels
    loaded = model.network.state_dict()
    listed = asset_path(f"checkpoints/{CARDS[name]}.keys.txt").read_text().split("\n")
    assert {line.split()[0].removeprefix("module.") for line in listed if line.strip() and not line.startswith("#")} == set(loaded)
    model.configure(get_task("dn", sigma=50))
    assert_forward(model, torch.rand(1, 3, 48, 40), (1, 3, 48, 40))


@needs_assets
@pytest.mark.assets
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MEASURED_S50))
def test_checkpoint_denoises_sanity_crops(name: str) -> None:
    torch.set_num_threads(min(2, torch.get_num_threads()))
    noisy, out = dn_psnr(load_model(name), 50)
    assert noisy == pytest.approx(15.42, abs=0.01)
    assert out == pytest.approx(MEASURED_S50[name], abs=0.05)
