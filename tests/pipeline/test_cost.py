"""The plan of a CEM run before it starts (cem_bench.pipeline.cost): counts that bound the run's own,
one timed forward, the refinement after the screen, and the limits that make a run large."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cem_bench import Protocol, score
from cem_bench.cem.acceleration import Acceleration
from cem_bench.core.geometry import ROI

IMAGE = "skimage:coffee"


def estimate_cost(*args, **kwargs):
    from cem_bench import estimate_cost as estimate  # imported in the test, so a missing API fails tests, not collection

    return estimate(*args, **kwargs)


@pytest.fixture(scope="module")
def crop():
    from cem_bench.core.images import read_rgb

    return read_rgb(IMAGE)[100:148, 200:260].copy()  # 48x60: partial edge blocks


def test_counts_are_exact_without_the_screen_and_fine_stage(crop):
    protocol, plain = Protocol(fine=0, coarse=2), Acceleration.off()
    cost = estimate_cost("box-blur-3", "dn", crop, "16,16,16", protocol=protocol, device="cpu", acceleration=plain)
    run = score("box-blur-3", "dn", crop, "16,16,16", protocol=protocol, device="cpu", progress=False, acceleration=plain)
    assert (cost.rows, cost.cols, cost.blocks) == (6, 8, 48) and cost.roi_blocks == 4 and cost.candidates == 44
    assert cost.coarse_forwards == 88 and run.result.forwards == cost.forwards == 89


@pytest.mark.parametrize("acceleration", [Acceleration(), Acceleration.off()], ids=["accel", "plain"])
def test_counts_bound_the_run_and_the_refined_plan_is_the_runs(crop, acceleration):
    protocol, seen = Protocol(fine=4, tol=0.0), []
    cost = estimate_cost("box-blur-5", "dn", crop, ROI(16, 16, 16), protocol=protocol, device="cpu",
                         acceleration=acceleration)
    run = score("box-blur-5", "dn", crop, ROI(16, 16, 16), protocol=protocol, device="cpu", progress=False,
                acceleration=acceleration, on_cost=seen.append)
    assert run.result.forwards <= cost.forwards == 1 + 44 * 3 + 44 * 4
    assert [step.forward is not None for step in seen[:2]] == [False, True]
    if acceleration.screen:  # refined once the screen ran: coarse exact, fine still a bound
        refined = seen[2]
        assert refined.candidates == 44 - run.record["acceleration"]["screened_blocks"] < 44
        assert run.result.forwards - 1 - refined.coarse_forwards == run.result.fine_blocks * protocol.fine
        assert refined.sampling.input_shape == tuple(run.record["acceleration"]["window"][k] - run.record[
            "acceleration"]["window"][k.replace("1", "0")] for k in ("y1", "x1"))
    assert len(seen) == (3 if acceleration.screen else 2)


def test_timed_estimate_and_limits(crop, monkeypatch):
    cost = estimate_cost("box-blur-3", "dn", crop, "16,16,16", device="cpu")
    assert cost.forward is not None and cost.forward.seconds > 0 and cost.forward.input_bytes == 3 * 48 * 60 * 4
    assert cost.seconds >= cost.forward.seconds * cost.forwards
    assert cost.peak_bytes > cost.forward.total_bytes and cost.problems() == []
    [line] = cost.describe()
    assert line.startswith("one forward took ") and "the screen first" in line and "peak memory about " in line
    counted = replace(cost, forward=None)
    assert counted.describe() == [
        "image 60x48 (model input 60x48): 8x6 blocks of 8 px, 4 in the ROI, 44 to sample",
        "at most 2,333 forwards: 1 + 132 coarse (3 per block) + at most 2,200 fine (50 per moved block); "
        "the gradient screen may skip many blocks"]
    monkeypatch.setattr("cem_bench.pipeline.cost.MEMORY_FRACTION", 0.0)
    assert cost.problems() == []  # the limit is fixed when counting
    assert estimate_cost("box-blur-3", "dn", crop, "16,16,16", device="cpu").too_big


def test_only_work_that_will_run_counts_against_the_time_limit(crop, monkeypatch):
    from cem_bench.cem.estimator import SamplingPlan
    from cem_bench.pipeline.cost import ForwardProfile

    cost = estimate_cost("box-blur-3", "dn", crop, "16,16,16", device="cpu")
    cost = replace(cost, forward=ForwardProfile(seconds=1.0, largest_bytes=1, total_bytes=1, input_bytes=1, output_bytes=1))
    monkeypatch.setattr("cem_bench.pipeline.cost.MAX_SECONDS", 60.0)
    assert cost.seconds == 2333 + 12 and cost.screen_seconds == 12  # 3 screen passes x 3 + 3 crop checks
    assert not cost.too_long  # with the screen on, only the screen is sure to run before the refinement
    assert replace(cost, screen=False, screen_passes=0, crop_checks=0).problems() == [
        "may take up to 39 min (limit 60 s)"]
    few = cost.after_screen(SamplingPlan(candidates=2, screened=42, input_shape=(24, 30), batch_size=8))
    assert few.seconds == pytest.approx(0.25 * (1 + 2 * 53)) and not few.too_long
    many = cost.after_screen(SamplingPlan(candidates=40, screened=4, input_shape=(48, 60), batch_size=8))
    assert many.too_long and many.problems() == ["may take up to 35 min (limit 60 s)"]
    [line] = many.describe()
    assert line.startswith("after the screen: 40 blocks to sample (4 skipped), model input 60x48: at most 2,121 forwards")
    monkeypatch.setattr("cem_bench.pipeline.cost.MAX_SECONDS", 5.0)
    assert cost.problems() == ["its gradient screen alone may take up to 12 s (limit 5 s)"]


def test_memory_estimate_counts_the_draws_and_the_bank(crop):
    """dn caches a noise draw per sample: the estimate grows with the samples; sr has no draws."""
    dn = estimate_cost("box-blur-3", "dn", crop, "16,16,16", device="cpu", protocol=Protocol(fine=50))
    dn_more = estimate_cost("box-blur-3", "dn", crop, "16,16,16", device="cpu", protocol=Protocol(fine=500))
    assert dn.draw_bytes == 3 * 8 * 8 * 4 and dn_more.peak_bytes - dn.peak_bytes == 2 * 44 * 450 * dn.draw_bytes
    sr = estimate_cost("bicubic-x4", "sr", crop[:48, :48], "16,16,16", device="cpu")
    assert sr.draw_bytes == 0 and sr.bank_bytes == 10_000 * 3 * 2 * 2 * 4  # the bank at input resolution


def test_estimate_refuses_what_score_refuses(crop):
    from cem_bench.core.errors import CemBenchError

    with pytest.raises(CemBenchError, match="not inside"):
        estimate_cost("box-blur-3", "dn", crop, "100,100,16", device="cpu")


def test_the_timed_forward_is_the_backends_that_will_run(crop, tmp_path, monkeypatch):
    import torch
    from helpers import SlowModel

    from cem_bench.cem.backends import ServedModel
    from cem_bench.models import load_model
    from cem_bench.pipeline.cost import time_run

    model = load_model("box-blur-3")
    cost = replace(estimate_cost(model, "dn", crop, "16,16,16", device="cpu"), forward=None)
    served = ServedModel(SlowModel(model, 0.2), lambda: {"used": "onnxruntime"})  # a backend 0.2 s slower
    timed = time_run(cost, model, crop, torch.device("cpu"), served)
    assert timed.forward.seconds >= 0.2 and timed.backend == "onnxruntime"
    assert timed.describe()[0].startswith(f"one forward took {timed.forward.seconds:.3g} s on onnxruntime: ")
    assert timed.forward.input_bytes == 3 * 48 * 60 * 4 and timed.forward.total_bytes > 0  # the torch module's layers
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("CEM_BENCH_CACHE", str(tmp_path))
    estimated = estimate_cost(model, "dn", crop, "16,16,16", device="cpu", backend="onnxruntime")
    assert estimated.backend == "onnxruntime" and len(list((tmp_path / "onnx").glob("*.onnx"))) == 1
    assert estimate_cost(model, "dn", crop, "16,16,16", device="cpu").backend == "torch"
