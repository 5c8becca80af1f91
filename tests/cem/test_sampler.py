"""Adaptive sampling: a prefix of the standard draws, stopped by the pre-registered rule."""

from __future__ import annotations

import numpy as np
from helpers import run_cem

from cem_bench.cem.protocol import Protocol
from cem_bench.core.geometry import ROI
from cem_bench.core.tasks import get_task
from cem_bench.models import load_model


def test_adaptive_uses_fewer_samples_and_agrees_in_sign(astronaut64):
    model, task, roi = load_model("box-blur-5"), get_task("dn", sigma=50), ROI(24, 24, 16)
    standard = run_cem(model, task, astronaut64, roi, fine=40, tol=0.01)
    adaptive = run_cem(model, task, astronaut64, roi, fine=40, tol=0.01, sampling="adaptive", step=10)
    fine = standard.n_samples == 40
    assert fine.sum() > 5
    assert (adaptive.n_samples[fine] % 10 == 0).all() and (adaptive.n_samples[fine] <= 40).all()
    assert adaptive.forwards < standard.forwards
    settled = fine & (adaptive.n_samples < 40)
    assert settled.any()
    assert (np.sign(adaptive.ce[settled]) == np.sign(standard.ce[settled])).all()


def test_adaptive_with_one_round_is_the_standard_map(astronaut64):
    model, task, roi = load_model("box-blur-3"), get_task("dr"), ROI(24, 24, 16)
    standard = run_cem(model, task, astronaut64, roi, fine=8)
    adaptive = run_cem(model, task, astronaut64, roi, fine=8, sampling="adaptive", step=8)
    assert np.array_equal(standard.ce, adaptive.ce, equal_nan=True)
    assert np.array_equal(standard.n_samples, adaptive.n_samples)


def test_adaptive_does_not_depend_on_the_batch_size(astronaut64):
    model, task, roi = load_model("bicubic-x4"), get_task("sr", scale=4), ROI(24, 24, 16)
    maps = [run_cem(model, task, astronaut64, roi, fine=12, tol=0.01, sampling="adaptive", step=4, batch_size=size)
            for size in (3, 64)]
    assert np.array_equal(maps[0].ce, maps[1].ce, equal_nan=True)
    assert np.array_equal(maps[0].n_samples, maps[1].n_samples)


def test_adaptive_results_carry_their_own_protocol_id():
    standard, adaptive = Protocol(), Protocol(sampling="adaptive")
    assert standard.id != adaptive.id and "adaptive" in adaptive.id
    assert "step" not in standard.describe("0" * 64) and adaptive.describe("0" * 64)["step"] == 10
