"""RestorationModel input conventions: ``pre_upsample`` (same-size networks used for SR)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import needs_assets

from cem_bench.core.errors import CemBenchError
from cem_bench.core.tasks import get_task
from cem_bench.models.card import ModelCard
from cem_bench.models.loading import load_model


def identity() -> torch.nn.Module:
    return torch.nn.Identity()


def card(pre_upsample: bool, tasks: list[dict]) -> ModelCard:
    return ModelCard.model_validate({
        "name": "same-size", "description": "test", "tasks": tasks, "scale": 1,
        "architecture": {"source": "module", "name": "test_loading:identity"},
        "input": {"pre_upsample": pre_upsample}, "origin": {"paper": "none"}, "license": "MIT",
    })


def one_conv() -> torch.nn.Module:
    return torch.nn.Conv2d(3, 3, 3, padding=1)


def one_lazy_conv() -> torch.nn.Module:
    return torch.nn.LazyConv2d(3, 3, padding=1)


MIXED = [{"task": "sr", "levels": [4]}, {"task": "dn", "levels": [50]}]


def test_a_card_without_weights_must_not_hold_learnable_parameters():
    """Else it would be scored at its random initialisation; analytic operators (buffers only) still load."""
    untrained = ModelCard.model_validate({
        "name": "untrained", "description": "test", "tasks": [{"task": "dn"}],
        "architecture": {"source": "module", "name": "test_loading:one_conv"}, "origin": {"paper": "none"},
        "license": "MIT"})
    with pytest.raises(CemBenchError, match=r"model untrained lists no weights but its network has 84 learnable "
                                            r"parameters: it would run with random weights"):
        load_model(untrained)
    lazy = untrained.model_copy(update={"architecture": untrained.architecture.model_copy(update={"name": "test_loading:one_lazy_conv"})})
    with pytest.raises(CemBenchError, match="lists no weights but its network has"):
        load_model(lazy)  # lazy parameters have no size yet: still learnable
    assert load_model(card(False, [{"task": "dn"}])) is not None
    assert load_model("box-blur-3")(torch.ones(1, 3, 8, 8)).shape == (1, 3, 8, 8)


class RandomKernel(torch.nn.Module):
    """A 'fixed' kernel drawn at random when built: no parameters, yet untrained all the same."""

    def __init__(self, draw=torch.rand) -> None:
        super().__init__()
        self.register_buffer("fixed", torch.ones(3))
        self.register_buffer("kernel", draw(3, 3, 3, 3), persistent=False)  # not in state_dict: still checked
        self.register_buffer("nan", torch.full((2,), float("nan")))  # deterministic, if odd: not refused

    def forward(self, x):
        return torch.nn.functional.conv2d(x, self.kernel, padding=1)


def random_kernel() -> torch.nn.Module:
    return RandomKernel()


def numpy_random_kernel() -> torch.nn.Module:
    return RandomKernel(lambda *shape: torch.from_numpy(np.random.rand(*shape)).float())


@pytest.mark.parametrize("builder", ["random_kernel", "numpy_random_kernel"])
def test_a_card_without_weights_must_not_hold_random_buffers(builder):
    """Buffers that differ from one build to the next (torch or numpy draws) are random weights too."""
    untrained = ModelCard.model_validate({
        "name": "untrained", "description": "test", "tasks": [{"task": "dn"}],
        "architecture": {"source": "module", "name": f"test_loading:{builder}"}, "origin": {"paper": "none"},
        "license": "MIT"})
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()[1].copy()
    with pytest.raises(CemBenchError, match=r"model untrained lists no weights but its network's tensor\(s\) kernel "
                                            r"differ between two builds: it would run with random values"):
        load_model(untrained)
    assert torch.equal(torch.get_rng_state(), torch_state)  # the check leaves the global generators alone
    assert np.array_equal(np.random.get_state()[1], numpy_state)
    lazy_buffers = untrained.model_copy(update={"architecture": untrained.architecture.model_copy(update={"name": "test_loading:lazy_norm"})})
    assert load_model(lazy_buffers) is not None  # buffers without a value yet are not compared (and do not crash)


def lazy_norm() -> torch.nn.Module:
    return torch.nn.LazyBatchNorm2d(affine=False)


def test_pre_upsample_upsamples_sr_inputs_by_the_task_scale():
    model = load_model(card(True, MIXED))
    x = torch.rand(1, 3, 5, 6)
    model.configure(get_task("sr", scale=4))
    assert model.scale == 4
    expected = F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.equal(model(x), expected)


def test_pre_upsample_leaves_same_size_tasks_alone():
    model = load_model(card(True, MIXED))
    model.configure(get_task("sr", scale=4))
    model.configure(get_task("dn", sigma=50))  # reconfiguring goes back to the same-size scale
    x = torch.rand(1, 3, 5, 6)
    assert model.scale == 1 and torch.equal(model(x), x)


def test_pre_upsample_refuses_untrained_scales_and_plain_models_refuse_sr():
    with pytest.raises(CemBenchError, match="trained for sr at 4, not sr-x2"):
        load_model(card(True, MIXED)).configure(get_task("sr", scale=2))
    with pytest.raises(CemBenchError, match="upscales x1"):
        load_model(card(False, MIXED)).configure(get_task("sr", scale=4))


class NoiseLevelEcho(torch.nn.Module):
    """A noise-map network whose output is the noise level it was given, everywhere."""

    def forward(self, x: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
        return level.expand_as(x)


def noise_map_card(levels: list[float]) -> ModelCard:
    return ModelCard.model_validate({
        "name": "echo", "description": "test", "tasks": [{"task": "dn", "levels": levels}],
        "architecture": {"source": "module", "name": "test_loading:NoiseLevelEcho"},
        "input": {"noise_map": True}, "origin": {"paper": "none"}, "license": "MIT",
    })


def test_load_model_is_the_public_api():
    import cem_bench

    assert cem_bench.load_model is load_model
    model = cem_bench.load_model("bicubic-x4")
    assert isinstance(model, torch.nn.Module) and not model.training
    assert model(torch.rand(2, 3, 8, 8)).shape == (2, 3, 32, 32)


def test_sigma_argument_sets_the_noise_map_of_a_non_blind_model():
    x = torch.rand(1, 3, 4, 4)
    assert torch.allclose(load_model(noise_map_card([15, 25, 50]), sigma=25)(x), torch.full_like(x, 25 / 255))
    assert torch.allclose(load_model(noise_map_card([50]))(x), torch.full_like(x, 50 / 255))  # the card's only level
    with pytest.raises(CemBenchError, match=r"needs a noise level: load it with sigma= \(15, 25, 50\)"):
        load_model(noise_map_card([15, 25, 50]))(x)


@pytest.mark.parametrize("card_, sigma, message", [
    (noise_map_card([15, 25, 50]), 30, "sigma does not fit: model echo was trained for dn at 15, 25, 50, not dn-s30"),
    ("bicubic-x4", 25, "sigma does not fit: model bicubic-x4 is for task(s) sr, not dn"),
    (noise_map_card([15]), -1, "sigma must be in"),
])
def test_a_sigma_the_card_does_not_list_is_refused(card_, sigma, message):
    with pytest.raises(CemBenchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_model(card_, sigma=sigma)


def test_a_pre_upsampled_sr_model_takes_its_cards_scale_without_a_task():
    model = load_model(card(True, [{"task": "sr", "levels": [4]}]))
    assert model(torch.rand(1, 3, 5, 6)).shape == (1, 3, 20, 24)
    assert load_model(card(True, MIXED))(torch.rand(1, 3, 5, 6)).shape == (1, 3, 5, 6)  # dn too: configure picks


@needs_assets
def test_a_published_non_blind_denoiser_denoises_rgb_in_0_1_with_sigma():
    from cem_bench.core.images import read_rgb, to_tensor

    clean = to_tensor(read_rgb("skimage:coffee")[100:164, 200:264])[None]
    noisy = (clean + torch.randn(clean.shape, generator=torch.Generator().manual_seed(0)) * 50 / 255).clamp(0, 1)
    restored = load_model("ffdnet-color", sigma=50)(noisy).clamp(0, 1)

    def psnr(image: torch.Tensor) -> float:
        return float(10 * torch.log10(1 / (image - clean).square().mean()))

    assert psnr(restored) > psnr(noisy) + 5
