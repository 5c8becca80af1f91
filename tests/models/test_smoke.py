"""Smoke checks: refusals for wrong shape, NaN and non-repeatable output; a warning for no PSNR gain."""

from __future__ import annotations

import pytest
import torch
from conftest import needs_assets
from helpers import nan_model

from cem_bench.core.errors import CemBenchError, ModelOutputError
from cem_bench.core.tasks import get_task
from cem_bench.models import load_model
from cem_bench.models.card import ModelCard
from cem_bench.models.smoke import smoke_check, validation_image


def test_denoiser_passes_and_beats_the_noisy_input():
    report = smoke_check(load_model("box-blur-5"), get_task("dn", sigma=50))
    assert report.model == "box-blur-5" and report.task == "dn-s50"
    assert report.input_size == report.output_size == (96, 96)
    assert report.repeat_max_diff == 0.0 and report.baseline == "the degraded input"
    assert report.gain > 3 and report.warnings == []
    assert report.summary().startswith("box-blur-5 on dn-s50: 96x96 -> 96x96, finite, repeatable")


def test_upscaler_shape_is_input_times_scale():
    report = smoke_check(load_model("nearest-x2"), get_task("sr", scale=2))
    assert report.input_size == (48, 48) and report.output_size == (96, 96)
    assert report.baseline == "bicubic upscaling"


@pytest.mark.parametrize(("model", "task"), [("identity", get_task("dn", sigma=25)), ("bicubic-x4", get_task("sr", scale=4))])
def test_no_gain_over_the_baseline_is_a_warning_not_a_failure(model, task):
    report = smoke_check(load_model(model), task)
    assert report.gain == 0.0  # identity returns its input; bicubic-x4 *is* the SR baseline
    assert len(report.warnings) == 1 and "does not improve PSNR" in report.warnings[0]


def test_wrong_scale_is_refused_by_the_shape_check():
    card = ModelCard.model_validate({
        "name": "claims-x2", "description": "an identity network whose card says x2", "tasks": [{"task": "sr"}],
        "scale": 2, "architecture": {"source": "project", "name": "identity"}, "origin": {"paper": "none"},
        "license": "MIT"})
    with pytest.raises(ModelOutputError, match=r"claims-x2 on sr-x2: output shape \(1, 3, 48, 48\), expected \(1, 3, 96, 96\)"):
        smoke_check(load_model(card), get_task("sr", scale=2))


def test_nan_output_is_refused():
    with pytest.raises(ModelOutputError, match="NaN or Inf on the validation image"):
        smoke_check(nan_model(), get_task("dn", sigma=50))


class Noisy(torch.nn.Module):
    def forward(self, x):
        return x + 1e-3 * torch.rand_like(x)


def test_non_repeatable_output_is_refused():
    with pytest.raises(ModelOutputError, match="two forwards of the same input differ"):
        smoke_check(Noisy(), get_task("dn", sigma=50))


class ThreeToOne(torch.nn.Module):
    def forward(self, x):
        return x[:, :1]


def test_wrong_channel_count_is_refused():
    with pytest.raises(ModelOutputError, match=r"output shape \(1, 1, 96, 96\)"):
        smoke_check(ThreeToOne(), get_task("dn", sigma=50))


def test_task_outside_the_card_is_refused():
    with pytest.raises(CemBenchError, match=r"box-blur-3 is for task\(s\) dn, dr, not sr"):
        smoke_check(load_model("box-blur-3"), get_task("sr", scale=4))


def test_validation_image_is_the_astronaut_face():
    crop = validation_image()
    assert crop.shape == (96, 96, 3) and crop.dtype.name == "uint8"


@needs_assets
def test_real_denoiser_gains_several_db():
    report = smoke_check(load_model("dncnn-color-blind"), get_task("dn", sigma=50))
    assert report.gain > 5 and report.warnings == []
