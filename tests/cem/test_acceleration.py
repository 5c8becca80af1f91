"""Exact accelerations: the screen and the crop save work and never change the map."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import run_cem

from cem_bench.cem.acceleration import Acceleration
from cem_bench.core.geometry import ROI
from cem_bench.core.images import read_rgb
from cem_bench.core.tasks import get_task
from cem_bench.models import load_model


@pytest.fixture(scope="module")
def astronaut128() -> np.ndarray:
    return read_rgb("skimage:astronaut")[160:288, 160:288].copy()


@pytest.fixture(scope="module")
def astronaut256() -> np.ndarray:
    """SR x4 needs a 64 px input for a crop aligned to 16 input pixels to be smaller than the image."""
    return read_rgb("skimage:astronaut")[100:356, 100:356].copy()


def assert_same_map(fast, plain) -> None:
    assert np.array_equal(fast.ce, plain.ce, equal_nan=True)
    sampled = fast.n_samples > 0
    assert np.array_equal(fast.stderr[sampled], plain.stderr[sampled], equal_nan=True)
    assert np.array_equal(fast.n_samples[sampled], plain.n_samples[sampled])
    assert fast.psnr_roi == plain.psnr_roi


@pytest.mark.parametrize(("name", "task_name", "params"), [
    ("box-blur-5", "dn", {"sigma": 50}),
    ("box-blur-3", "dr", {}),
    ("bicubic-x4", "sr", {"scale": 4}),
    ("nearest-x2", "sr", {"scale": 2}),
])
def test_crop_and_screen_give_the_plain_map_with_less_work(request, name, task_name, params):
    model, task = load_model(name), get_task(task_name, **params)
    image = request.getfixturevalue("astronaut256" if task.scale == 4 else "astronaut128")
    roi = ROI(56, 48, 16)
    fast = run_cem(model, task, image, roi, acceleration="accel")
    plain = run_cem(model, task, image, roi, acceleration="plain")
    assert_same_map(fast, plain)
    assert fast.acceleration["window"] is not None, fast.acceleration["notes"]
    assert fast.acceleration["screened_blocks"] > 0
    assert fast.forwards < plain.forwards
    # what ran is recorded beside what was asked for
    assert fast.acceleration["screen_ran"] and fast.acceleration["crop_ran"]
    assert not plain.acceleration["screen"] and not plain.acceleration["screen_ran"]
    assert not plain.acceleration["crop"] and not plain.acceleration["crop_ran"]


class GlobalMean(torch.nn.Module):
    """Every output pixel depends on every input pixel (like global channel attention)."""

    def forward(self, x):
        return 0.5 * x + 0.5 * x.mean(dim=(2, 3), keepdim=True)


class Detached(torch.nn.Module):
    """A local model whose output carries no gradient (e.g. computed outside autograd)."""

    def forward(self, x):
        return torch.nn.functional.avg_pool2d(x.detach(), 3, 1, 1)


class PositionDependent(torch.nn.Module):
    """A blur that also reads absolute position: a crop changes its output, so the check must refuse it."""

    def forward(self, x):
        ramp = torch.linspace(0, 0.2, x.shape[-1], device=x.device)
        return torch.nn.functional.avg_pool2d(x, 3, 1, 1) * 0.8 + ramp


def test_global_dependence_skips_nothing(astronaut64):
    result = run_cem(GlobalMean(), get_task("dn", sigma=50), astronaut64, ROI(24, 24, 16), fine=0)
    assert result.acceleration["screened_blocks"] == 0
    assert result.acceleration["window"] is None


def test_screen_switches_off_without_gradients(astronaut64):
    fast = run_cem(Detached(), get_task("dn", sigma=50), astronaut64, ROI(24, 24, 16), fine=0)
    plain = run_cem(Detached(), get_task("dn", sigma=50), astronaut64, ROI(24, 24, 16), fine=0, acceleration="plain")
    assert fast.acceleration["notes"] == ["screen off: the model gives no input gradient"]
    assert fast.acceleration["screened_blocks"] == 0
    assert fast.acceleration["screen"] and not fast.acceleration["screen_ran"] and not fast.acceleration["crop_ran"]
    assert_same_map(fast, plain)


def test_crop_check_refuses_position_dependent_models(astronaut128):
    task = get_task("dn", sigma=50)
    fast = run_cem(PositionDependent(), task, astronaut128, ROI(56, 48, 16), fine=0)
    plain = run_cem(PositionDependent(), task, astronaut128, ROI(56, 48, 16), fine=0, acceleration="plain")
    assert fast.acceleration["window"] is None
    assert fast.acceleration["notes"] == ["crop off: no cropped ROI output equals the full image's"]
    assert fast.acceleration["screen_ran"] and fast.acceleration["crop"] and not fast.acceleration["crop_ran"]
    assert_same_map(fast, plain)


def test_margin_keeps_more_blocks_and_settings_are_recorded(astronaut64):
    task, roi = get_task("dn"), ROI(24, 24, 16)
    tight = run_cem(load_model("box-blur-3"), task, astronaut64, roi, fine=0)
    wide = run_cem(load_model("box-blur-3"), task, astronaut64, roi, fine=0, acceleration=Acceleration(probes=1, margin=2))
    assert wide.acceleration["probes"] == 1 and wide.acceleration["margin"] == 2
    # box-blur-3 reaches one pixel into the ring of 12 blocks around the 2x2 ROI blocks (rows/cols 2-5);
    # a margin of 2 grows that 4x4 support to rows/cols 0-7: the whole 8x8 grid.
    assert tight.acceleration["screened_blocks"] == 64 - 4 - 12
    assert wide.acceleration["screened_blocks"] == 0
    assert np.array_equal(tight.ce, wide.ce, equal_nan=True)


def test_fast_mode_is_marked_and_records_its_deviation():
    from cem_bench import Protocol, score

    run = score("box-blur-5", "dn", "skimage:astronaut", "240,200,16", protocol=Protocol(coarse=1, fine=0, fast=True),
                device="cpu", progress=False)
    assert run.record["protocol"]["id"].endswith("+fast") and run.record["protocol"]["fast"] is True
    deviation = run.record["fast_deviation"]
    assert deviation["max_abs_output"] < 0.05 and deviation["roi_psnr_db"] < 1.0
    assert run.record["model"]["name"] == "box-blur-5"
