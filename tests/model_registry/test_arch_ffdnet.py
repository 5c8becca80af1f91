"""FFDNet (colour, KAIR layout): random-weight behaviour always; checkpoint + MANIFEST sanity with assets."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from sanity import dn_psnr

from cem_bench.core.assets import asset_path
from cem_bench.models.loading import RestorationModel, build_network, get_card, load_model
from model_registry.archs import architectures
from model_registry.archs.ffdnet import FFDNet

needs_assets = pytest.mark.skipif(asset_path("checkpoints") is None, reason="shared assets not available")


def _net(seed: int = 0) -> FFDNet:
    torch.manual_seed(seed)
    return FFDNet(nc=16, nb=4).eval()


def test_registered_and_key_layout() -> None:
    assert architectures()["ffdnet"] is FFDNet
    keys = list(FFDNet().state_dict())
    assert keys[0] == "model.0.weight" and keys[-1] == "model.22.bias" and len(keys) == 24
    assert FFDNet().model[0].in_channels == 13 and FFDNet().model[22].out_channels == 12


@pytest.mark.parametrize("size", [(32, 40), (33, 41), (17, 16)])
def test_random_forward_shape_and_finite(size: tuple[int, int]) -> None:
    x = torch.rand(2, 3, *size)
    with torch.no_grad():
        y = _net()(x, torch.full((2, 1, *size), 25 / 255))
    assert y.shape == x.shape and torch.isfinite(y).all()


def test_constant_map_equals_kair_scalar_sigma() -> None:
    """A full-resolution constant map (the loader's) equals KAIR's [B, 1, 1, 1] sigma, odd sizes too."""
    net, x = _net(), torch.rand(1, 3, 31, 22)
    with torch.no_grad():
        full = net(x, torch.full((1, 1, 31, 22), 0.2))
        scalar = net(x, torch.full((1, 1, 1, 1), 0.2))
        other = net(x, torch.full((1, 1, 1, 1), 0.05))
    torch.testing.assert_close(full, scalar)
    assert (full - other).abs().max() > 1e-4  # the noise level must actually reach the network


def test_odd_size_replicate_pads_bottom_right() -> None:
    """Odd sizes behave as KAIR: replicate-pad bottom/right to even, run, crop back."""
    net, x, level = _net(), torch.rand(1, 3, 15, 21), torch.full((1, 1, 1, 1), 0.1)
    with torch.no_grad():
        y = net(x, level)
        padded = net(F.pad(x, (0, 1, 0, 1), mode="replicate"), level)
    torch.testing.assert_close(y, padded[..., :15, :21])


def test_shift_by_whole_cell_commutes() -> None:
    """Away from the borders, a 2-pixel shift (one unshuffle cell) commutes with the network."""
    net, x, level = _net(), torch.rand(1, 3, 40, 40), torch.full((1, 1, 1, 1), 0.1)
    with torch.no_grad():
        y = net(x, level)
        shifted = net(torch.roll(x, 2, dims=-1), level)
    # Receptive field of 4 half-resolution 3x3 convs: 8 full-resolution pixels, plus the 2 shifted.
    torch.testing.assert_close(torch.roll(y, 2, dims=-1)[..., 12:-12], shifted[..., 12:-12])


def test_loader_passes_noise_level_map() -> None:
    """Random weights (load_model refuses a learnable network without weights): the wrapper calls FFDNet
    with sigma/255 from the dn task."""
    from cem_bench.core.tasks import get_task

    card = get_card("ffdnet-color")
    model = RestorationModel(build_network(card), card, None)
    assert isinstance(model.network, FFDNet)
    model.configure(get_task("dn", sigma=25))  # a level the card lists
    x = torch.rand(1, 3, 20, 18)
    with torch.no_grad():
        expected = model.network(x, torch.full((1, 1, 1, 1), 25 / 255))
        torch.testing.assert_close(model(x), expected)


@needs_assets
def test_card_gives_project_ffdnet_not_spandrel_dncnn() -> None:
    """spandrel's auto-detection calls this checkpoint (Fast)DnCNN; the card must not let it decide."""
    from spandrel.architectures.DnCNN import DnCNN as SpandrelDnCNN

    model = load_model("ffdnet-color")
    assert type(model.network) is FFDNet
    assert not isinstance(model.network, SpandrelDnCNN)
    assert model.parameter_count() == get_card("ffdnet-color").params


@needs_assets
@pytest.mark.parametrize("sigma, noisy_ref, out_ref", [(15, 25.06, 31.52), (50, 15.42, 25.65)])
def test_sanity_matches_manifest(sigma: float, noisy_ref: float, out_ref: float) -> None:
    torch.set_num_threads(min(2, torch.get_num_threads()))
    noisy, out = dn_psnr(load_model("ffdnet-color"), sigma)
    assert abs(noisy - noisy_ref) < 0.1, noisy
    assert abs(out - out_ref) < 0.1, out
