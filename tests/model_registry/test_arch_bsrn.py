"""BSRN-S x4 (NTIRE 2022 entry): random-weight behaviour always; checkpoint strict load and sanity with assets;
the optional contrast-aware channel attention (global / per window) of the zoo's fine-tuned pair.

The CSet14 comparison with the paper's table is a benchmark (``benchmarks/paper_psnr.py``), too slow for
the test suite; here the sanity check is the MANIFEST protocol's gain over bicubic, which a wrongly wired
network that still loads the weights does not reach.
"""

from __future__ import annotations

import pytest
import torch
from arch_checks import assert_forward, assert_loads_strictly, needs_assets, seeded
from sanity import sr_gain

from cem_bench.core.assets import asset_path
from cem_bench.core.errors import CemBenchError
from cem_bench.models.loading import get_card, load_model, load_strict
from cem_bench.models.weights import read_state_dict
from model_registry.archs import architectures
from model_registry.archs.bsrn import BSRN, ESA, ESDB, ContrastChannelAttention, Pointwise, contrast_statistics

CARD = "bsrn-s-x4"
CHECKPOINT = "checkpoints/sr/bsrn_ntire2022_x4.pth"


def _net(upscale: int = 4, seed: int = 0) -> BSRN:
    return seeded(lambda: BSRN(upscale=upscale), seed)


def test_registered_and_card_agrees() -> None:
    card = get_card(CARD)
    assert architectures()["bsrn"] is BSRN
    assert (card.architecture.source, card.architecture.name) == ("project", "bsrn")
    assert card.scale == 4 and card.tasks[0].task == "sr" and card.tasks[0].levels == [4]
    assert card.input.range == 1 and card.input.color == "rgb"
    assert card.weights.file == "sr/bsrn_ntire2022_x4.pth" and card.weights.key == "params"
    assert card.params == sum(p.numel() for p in BSRN(**card.architecture.kwargs).parameters())


def test_parameter_count_is_the_challenge_entry() -> None:
    """The NTIRE 2022 ESR report lists team 18's BSRN at 0.156 M parameters."""
    assert sum(p.numel() for p in BSRN().parameters()) == 156288


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_random_forward_shape_and_finite(scale: int) -> None:
    assert_forward(_net(scale), torch.rand(2, 3, 17, 15), (2, 3, 17 * scale, 15 * scale))


def test_too_small_input_is_one_clear_error() -> None:
    """Below 15 px the attention's 7x7 pool has no output: say so instead of torch's pooling error."""
    with pytest.raises(ValueError, match="at least 15x15"):
        _net()(torch.rand(1, 3, 14, 32))


def test_pointwise_is_the_checkpoints_linear_layer() -> None:
    """The checkpoint's pointwise maps are nn.Linear over channels: same weight, same result as a 1x1 conv."""
    torch.manual_seed(3)
    pointwise, linear = Pointwise(12, 48), torch.nn.Linear(12, 48)
    linear.load_state_dict(pointwise.state_dict())
    x = torch.randn(2, 12, 5, 7)
    with torch.no_grad():
        torch.testing.assert_close(pointwise(x), linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2))


def test_block_is_residual() -> None:
    """With a zero output projection an ESDB passes its input through unchanged."""
    torch.manual_seed(2)
    block = ESDB(48).eval()
    x = torch.randn(1, 48, 16, 16)
    with torch.no_grad():
        block.conv_out.weight.zero_()
        block.conv_out.bias.zero_()
        torch.testing.assert_close(block(x), x)


def test_spatial_attention_reaches_the_whole_block() -> None:
    """The pooled map is mixed by three 3x3 convs and resized over the whole input: a far pixel moves a corner."""
    torch.manual_seed(4)
    esa = ESA(48).eval()
    x = torch.randn(1, 48, 40, 40)
    moved = x.clone()
    moved[..., 30, 30] += 10.0
    with torch.no_grad():
        difference = (esa(moved) - esa(x)).abs()[..., :8, :8]  # a corner far beyond any 3x3 conv's reach
    assert difference.min() > 0


@needs_assets
def test_strict_load_through_card() -> None:
    model = assert_loads_strictly(CARD, CHECKPOINT, BSRN, key="params")
    assert model.scale == 4
    assert_forward(model, torch.rand(1, 3, 16, 20), (1, 3, 64, 80))


@needs_assets
def test_checkpoint_without_its_key_is_refused() -> None:
    with pytest.raises(CemBenchError, match="not a state dict of tensors"):
        read_state_dict(asset_path(CHECKPOINT))
    state = read_state_dict(asset_path(CHECKPOINT), key="params")
    state.pop("B5.cw")
    with pytest.raises(CemBenchError, match="missing"):
        load_strict(BSRN(), state, CARD)


@needs_assets
def test_sanity_gain_over_bicubic() -> None:
    """MANIFEST protocol (4 crops, PIL-bicubic LR, RGB PSNR): measured +1.64 dB; a miswired net loses dB."""
    torch.set_num_threads(min(2, torch.get_num_threads()))
    assert sr_gain(load_model(CARD), 4) > 1.4


# Outputs of the network before the attention switch existed (BSRN() after torch.manual_seed(0), and the
# published weights), on torch.rand(1, 3, 20, 24) from a generator seeded 1: the default must not move.
RANDOM_INIT_SUM, RANDOM_INIT_PIXEL = 655.6122881325609, [0.07925395667552948, 0.14367122948169708, -0.2428276538848877]
PUBLISHED_SUM, PUBLISHED_PIXEL = 11577.585160733317, [0.6287658214569092, 0.3066365122795105, 0.20779085159301758]


def _probe() -> torch.Tensor:
    return torch.rand(1, 3, 20, 24, generator=torch.Generator().manual_seed(1))


def test_default_network_is_unchanged_by_the_attention_switch() -> None:
    with torch.no_grad():
        out = _net()(_probe()).double()
        torch.manual_seed(0)
        explicit = BSRN(attention="none", window=4).eval()(_probe())
    torch.testing.assert_close(out.sum().item(), RANDOM_INIT_SUM, rtol=1e-5, atol=0)
    torch.testing.assert_close(out[0, :, 0, 0].tolist(), RANDOM_INIT_PIXEL, rtol=1e-4, atol=1e-5)
    assert torch.equal(out.float(), explicit)  # same random draws, same function


@needs_assets
def test_published_weights_give_the_outputs_they_gave_before() -> None:
    with torch.no_grad():
        out = load_model(CARD).network(_probe()).double()
    torch.testing.assert_close(out.sum().item(), PUBLISHED_SUM, rtol=1e-5, atol=0)
    torch.testing.assert_close(out[0, :, 40, 50].tolist(), PUBLISHED_PIXEL, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("attention, window", [("channel", 8), ("window", 4), ("window", 16)])
def test_attention_adds_only_the_cca_layers_about_one_percent(attention: str, window: int) -> None:
    plain, gated = BSRN().state_dict(), BSRN(attention=attention, window=window).state_dict()
    added = set(gated) - set(plain)
    assert set(plain) <= set(gated) and all(key.split(".")[1] == "cca" for key in added) and len(added) == 20
    extra = sum(gated[key].numel() for key in added)
    assert extra == 5 * (48 * 3 + 3 + 3 * 48 + 48) == 1695  # per block: 48 -> 3 -> 48 (reduction 16), with biases
    assert extra / 156288 < 0.02


@pytest.mark.parametrize("attention, window", [("channel", 8), ("window", 4), ("window", 16)])
def test_a_fresh_cca_leaves_the_published_network_exactly_as_it_is(attention: str, window: int) -> None:
    """The gate 2 * sigmoid(0) is exactly 1 (expand conv zero), so fine-tuning starts at the published outputs."""
    base = _net()
    gated = BSRN(attention=attention, window=window).eval()
    missing, unexpected = gated.load_state_dict(base.state_dict(), strict=False)
    assert not unexpected and missing
    x = torch.rand(2, 3, 23, 17)
    with torch.no_grad():
        assert torch.equal(gated(x), base(x))


def _cca(window: int | None) -> ContrastChannelAttention:
    torch.manual_seed(5)
    module = ContrastChannelAttention(16, window)
    torch.nn.init.normal_(module.conv_du[2].weight, std=0.5)  # a trained-looking gate, not the identity start
    torch.nn.init.constant_(module.conv_du[0].bias, 1.0)  # its one hidden unit (16 / 16) stays active
    return module.eval()


def test_channel_attention_is_global_and_window_attention_is_local() -> None:
    """A far pixel moves the centre through the global statistics; the window gate only moves its own tile."""
    x = torch.randn(1, 16, 20, 20)
    far = x.clone()
    far[..., 18, 18] += 5.0  # inside the bottom-right 4x4 tile (rows and columns 16..19)
    with torch.no_grad():
        glob, local = _cca(None), _cca(4)
        assert not torch.equal(glob(x)[..., 8:12, 8:12], glob(far)[..., 8:12, 8:12])
        assert torch.equal(local(x)[..., :16, :], local(far)[..., :16, :])
        assert torch.equal(local(x)[..., :, :16], local(far)[..., :, :16])
        assert not torch.equal(local(x)[..., 16:, 16:], local(far)[..., 16:, 16:])


def test_a_window_covering_the_map_is_the_global_attention() -> None:
    x = torch.randn(2, 16, 9, 13)
    with torch.no_grad():
        torch.testing.assert_close(_cca(13)(x), _cca(None)(x))


def test_windows_at_any_size_use_exactly_their_own_pixels() -> None:
    """10 x 7 with 4 x 4 windows: partial edge tiles (2 rows, 3 columns) get their own population std + mean."""
    x = torch.randn(1, 16, 10, 7, dtype=torch.float64)
    stats = contrast_statistics(x, 4)
    assert stats.shape == (1, 16, 3, 2)
    for i, rows in enumerate((slice(0, 4), slice(4, 8), slice(8, 10))):
        for j, cols in enumerate((slice(0, 4), slice(4, 7))):
            tile = x[0, :, rows, cols].flatten(1)
            torch.testing.assert_close(stats[0, :, i, j], tile.std(dim=1, unbiased=False) + tile.mean(dim=1))
    module = _cca(4).double()
    with torch.no_grad():
        gate = 2 * torch.sigmoid(module.conv_du(stats))
        expected = x * gate.repeat_interleave(4, 2).repeat_interleave(4, 3)[..., :10, :7]
        torch.testing.assert_close(module(x), expected)


@pytest.mark.parametrize("window", [None, 4])
def test_flat_regions_train_without_nan(window: int | None) -> None:
    """A constant map has variance 0, where sqrt has an infinite slope: the floor keeps gradients finite."""
    module = _cca(window).train()
    x = torch.full((1, 16, 8, 8), 0.3, requires_grad=True)
    module(x).sum().backward()
    assert torch.isfinite(x.grad).all() and all(torch.isfinite(p.grad).all() for p in module.parameters())


@pytest.mark.parametrize("kwargs, message", [({"attention": "global"}, "attention must be"),
                                             ({"attention": "window", "window": 0}, "window must be")])
def test_bad_attention_arguments_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BSRN(**kwargs)
