"""basicsr architectures named from a card (``architecture: {source: basicsr, name, kwargs}``).

Each is built through ``cem_bench.models.loading.build_network`` (which imports basicsr behind the
torchvision shim) in a deliberately tiny configuration with random weights, then run once on a small
CPU input. No checkpoints: this checks that the names resolve and the kwargs a card would carry reach
the constructors.
"""

from __future__ import annotations

import pytest
import torch

from cem_bench.core.errors import CemBenchError
from cem_bench.models.card import ModelCard
from cem_bench.models.loading import build_network

# name -> (kwargs, scale). Scales differ so each upsampler path is exercised; RIDNet is a denoiser.
TINY = {
    "EDSR": ({"num_in_ch": 3, "num_out_ch": 3, "num_feat": 16, "num_block": 2, "upscale": 2}, 2),
    "RCAN": ({"num_in_ch": 3, "num_out_ch": 3, "num_feat": 16, "num_group": 2, "num_block": 2,
              "squeeze_factor": 4, "upscale": 3}, 3),
    # Window attention: the input side must be a multiple of window_size (basicsr's SwinIR does not pad).
    "SwinIR": ({"img_size": 16, "in_chans": 3, "embed_dim": 12, "depths": [2], "num_heads": [2],
                "window_size": 8, "mlp_ratio": 2.0, "upscale": 2, "upsampler": "pixelshuffledirect"}, 2),
    "MSRResNet": ({"num_in_ch": 3, "num_out_ch": 3, "num_feat": 16, "num_block": 2, "upscale": 4}, 4),
    "RRDBNet": ({"num_in_ch": 3, "num_out_ch": 3, "scale": 4, "num_feat": 16, "num_block": 1,
                 "num_grow_ch": 8}, 4),
    # mid_channels >= 16: its channel attention squeezes by 16.
    "RIDNet": ({"in_channels": 3, "mid_channels": 16, "out_channels": 3, "num_block": 1}, 1),
}


def _card(name: str, kwargs: dict, scale: int) -> ModelCard:
    task = {"task": "sr", "levels": [scale]} if scale > 1 else {"task": "dn", "levels": [25]}
    return ModelCard.model_validate({
        "name": f"tiny-{name.lower()}",
        "description": f"test-only tiny {name}, random weights",
        "tasks": [task],
        "scale": scale,
        "architecture": {"source": "basicsr", "name": name, "kwargs": kwargs},
        "origin": {"paper": "test configuration"},
        "license": "none stated",
    })


@pytest.mark.parametrize("name", list(TINY))
def test_tiny_basicsr_network_forward(name: str) -> None:
    torch.set_num_threads(min(2, torch.get_num_threads()))
    kwargs, scale = TINY[name]
    torch.manual_seed(0)
    net = build_network(_card(name, kwargs, scale)).eval()
    assert type(net).__name__ == name
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad():
        y = net(x)
    assert y.shape == (1, 3, 16 * scale, 16 * scale)
    assert torch.isfinite(y).all()


def test_unknown_basicsr_name_is_refused() -> None:
    with pytest.raises(CemBenchError, match="unknown basicsr architecture"):
        build_network(_card("NoSuchNet", {}, 2))
