"""PReNet / PRN (Ren et al., CVPR 2019): structure with random weights, and the published Rain100L
and Rain1400 checkpoints on this project's synthetic rain (task ``dr``, seed 0).

There is no precise MANIFEST figure for deraining ("21.93 -> ~24 dB" on light streaks) and no Rain1400
test set in the shared assets, so the asset tests assert a positive mean gain and pin the figures
measured with this code on the top-left 240x240 crops of lam_test_1, 2, 3 and 6 (rainy 19.55 dB ->
PReNet 27.04 dB, PRN 27.06 dB; PReNet trained on Rain1400's heavier streaks: 22.35 dB).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sanity import psnr, sanity_images

from cem_bench.core.assets import asset_path
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import to_tensor
from cem_bench.core.tasks import get_task
from cem_bench.models.loading import load_model, load_strict
from cem_bench.models.weights import read_state_dict
from model_registry.archs import architectures
from model_registry.archs.prenet import PRN, PReNet

# (card, mean derained PSNR in dB) measured on the sanity crops; the rainy inputs average 19.55 dB.
MEASURED = {"prenet6-rain100l": 27.04, "prn6-rain100l": 27.06, "prenet6-rain1400": 22.35}
RAINY_MEAN = 19.55

needs_assets = pytest.mark.skipif(asset_path("checkpoints") is None, reason="shared assets are absent")


@pytest.mark.parametrize("name, cls, lstm", [("prenet", PReNet, True), ("prn", PRN, False)])
def test_random_weights_forward(name: str, cls: type, lstm: bool) -> None:
    assert architectures()[name] is cls
    torch.manual_seed(0)
    net = cls(stages=3).eval()
    x = torch.rand(2, 3, 17, 22)
    with torch.inference_mode():
        stages = net.stage_outputs(x)
        out = net(x)
    assert len(stages) == 3
    assert out.shape == x.shape and torch.isfinite(out).all()
    assert torch.equal(out, stages[-1])
    # The ConvLSTM gates are PReNet's only extra parameters.
    has_gates = any(key.startswith("conv_i.") for key in net.state_dict())
    assert has_gates is lstm


def test_stage_is_a_correction_of_the_rainy_input() -> None:
    """With the last conv zeroed every stage returns the rainy input unchanged."""
    net = PReNet(stages=2).eval()
    with torch.no_grad():
        net.conv[0].weight.zero_()
        net.conv[0].bias.zero_()
    x = torch.rand(1, 3, 8, 8)
    with torch.inference_mode():
        assert torch.equal(net(x), x)


def test_parameter_counts_match_cards() -> None:
    assert sum(p.numel() for p in PReNet().parameters()) == 168963
    assert sum(p.numel() for p in PRN().parameters()) == 95107


@pytest.fixture(scope="module")
def rainy_pairs() -> list[tuple[torch.Tensor, torch.Tensor]]:
    task = get_task("dr")
    pairs = []
    for gt in sanity_images():
        degraded = task.degrade(gt, 0)
        pairs.append((to_tensor(degraded.lq)[None], to_tensor(degraded.gt)[None]))
    return pairs


@needs_assets
@pytest.mark.assets
def test_checkpoints_are_not_interchangeable() -> None:
    """Strict loading must reject PRN's weights for PReNet (the LSTM gates are missing)."""
    state = read_state_dict(asset_path("checkpoints/dr/prn6_rain100l.pth"), None, None)
    with pytest.raises(CemBenchError, match="missing"):
        load_strict(PReNet(), state, "prenet")


@needs_assets
@pytest.mark.assets
@pytest.mark.slow
@pytest.mark.parametrize("card", sorted(MEASURED))
def test_checkpoint_derains_synthetic_rain(card: str, rainy_pairs) -> None:
    model = load_model(card)  # strict load, sha256 checked
    rainy, derained = [], []
    with torch.inference_mode():
        for lq, gt in rainy_pairs:
            rainy.append(psnr(lq, gt))
            derained.append(psnr(model(lq), gt))
    rainy_mean, derained_mean = float(np.mean(rainy)), float(np.mean(derained))
    print(f"{card}: rainy {rainy_mean:.2f} dB -> derained {derained_mean:.2f} dB")
    assert rainy_mean == pytest.approx(RAINY_MEAN, abs=0.05)
    assert derained_mean - rainy_mean > 0
    assert derained_mean == pytest.approx(MEASURED[card], abs=0.1)


@needs_assets
@pytest.mark.assets
def test_rain1400_checkpoint_is_the_registered_prenet() -> None:
    """prenet6-rain1400 reuses the PReNet architecture: it loads strictly and keeps the input's shape."""
    model = load_model("prenet6-rain1400")  # strict load, sha256 checked
    assert type(model.network) is PReNet and model.network.stages == 6
    assert model.parameter_count() == 168963
    x = torch.rand(1, 3, 48, 40)
    with torch.inference_mode():
        assert model(x).shape == x.shape
