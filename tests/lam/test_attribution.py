"""`lam`: exact support on a box-blur SR model, Diffusion Index on hand-made maps, model checks, records."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import needs_assets
from torch import nn

from cem_bench import LAMSettings, compute_lam
from cem_bench.core.errors import CemBenchError
from cem_bench.core.geometry import ROI
from cem_bench.core.metrics.diffusion import diffusion_index
from cem_bench.lam import attribution_map
from cem_bench.records.io import validate_result
from model_registry.archs.analytic import BoxBlur, NearestUpsampler


class BlurThenNearest(nn.Module):
    """A 3x3 box blur on the input followed by nearest x4 upscaling: an SR model of known support."""

    scale = 4

    def __init__(self) -> None:
        super().__init__()
        self.blur, self.up = BoxBlur(3), NearestUpsampler(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(self.blur(x))

    def input_support(self, window: ROI, in_size: tuple[int, int]) -> tuple[int, int, int, int]:
        # The target reads output pixels window.y .. y+size and x .. x+size (forward differences).
        box = (window.y, window.y + window.size + 1, window.x, window.x + window.size + 1)
        return self.blur.input_support(self.up.input_support(box, in_size), in_size)


def test_box_blur_sr_attribution_is_zero_exactly_outside_its_support(astronaut64):
    model, window = BlurThenNearest(), ROI(22, 30, 9)
    result = compute_lam(model, astronaut64, window, settings=LAMSettings(steps=10), device="cpu")
    y0, y1, x0, x1 = model.input_support(window, (16, 16))
    assert result.attribution.shape == (16, 16)
    inside = np.zeros_like(result.attribution, dtype=bool)
    inside[y0:y1, x0:x1] = True
    assert np.all(result.attribution[~inside] == 0) and np.all(result.integral.attribution[:, ~inside] == 0)
    rows, cols = np.nonzero(result.attribution)
    assert (rows.min(), rows.max() + 1, cols.min(), cols.max() + 1) == (y0, y1, x0, x1)  # and the support is tight


def test_diffusion_index_of_hand_made_maps():
    uniform = attribution_map(np.full((3, 8, 8), 0.2))
    assert np.all(uniform == 1.0) and diffusion_index(uniform) == pytest.approx(100.0)
    one_hot = np.zeros((3, 32, 32))
    one_hot[:, 5, 7] = [0.5, -0.25, 1.0]
    assert diffusion_index(attribution_map(one_hot)) == pytest.approx(100 / 1024) and 100 / 1024 < 0.1
    half = np.zeros((1, 4, 4))
    half[0, :2] = -3.0  # half the pixels equally, sign ignored: Gini 1/2
    assert diffusion_index(attribution_map(half)) == pytest.approx(50.0)


def test_zero_attribution_is_refused():
    with pytest.raises(CemBenchError, match="zero everywhere"):
        attribution_map(np.zeros((3, 4, 4)))


def test_record_and_files(astronaut64, tmp_path):
    result = compute_lam("bicubic-x2", astronaut64, "20,20", settings=LAMSettings(steps=4), device="cpu", batch_size=3)
    record = result.record
    validate_result(record, "lam")
    assert record["window"] == {"x": 20, "y": 20, "size": 16} and record["method"]["steps"] == 4
    assert record["task"] == {"name": "sr", "version": 1, "scale": 2, "degradation": {"downscale": "PIL bicubic"}}
    assert record["diffusion_index"] == pytest.approx(result.diffusion_index, abs=1e-6)
    assert np.array(record["attribution"]).shape == (32, 32) and record["forwards"] == 5
    result.write(tmp_path / "run")
    assert (tmp_path / "run" / "lam.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "run" / "result.json").is_file()


def test_same_input_same_map(astronaut64):
    first, second = (compute_lam("bicubic-x4", astronaut64, "16,16,8", settings=LAMSettings(steps=5), device="cpu")
                     for _ in range(2))
    assert np.array_equal(first.attribution, second.attribution)


@pytest.mark.parametrize(("model", "kwargs", "message"), [
    ("box-blur-3", {}, "super-resolution models only; model box-blur-3 is for task(s) dn"),
    ("bicubic-x4", {"scale": 2}, "upscales x4, but scale x2"),
    (BoxBlur(3), {}, "super-resolution models only; this model has scale 1"),
    (nn.Identity(), {}, "LAM needs the model's scale"),
    ("bicubic-x4", {"window": "56,40"}, "not inside the 64x64 output"),
    ("bicubic-x4", {"batch_size": 0}, "at least 1"),
    ("bicubic-x4", {"weights": "w.pth"}, "has no weights"),
])
def test_bad_input_is_refused(astronaut64, model, kwargs, message):
    kwargs = {"window": "8,8", **kwargs}
    with pytest.raises(CemBenchError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compute_lam(model, astronaut64, device="cpu", settings=LAMSettings(steps=2), **kwargs)


@needs_assets
@pytest.mark.parametrize("name", ["fsrcnn-x4", "carn-m-x3"])
def test_card_conventions_reach_the_network(astronaut64, name):
    """Luma-only FSRCNN and CARN-M's scale argument go through RestorationModel like any RGB model."""
    gt = astronaut64[:48, :48]
    result = compute_lam(name, gt, "12,12,12", settings=LAMSettings(steps=3), device="cpu")
    assert result.attribution.shape == (48 // result.task.scale,) * 2
    assert 0 < result.diffusion_index <= 100 and result.record["model"]["weights_sha256"]
