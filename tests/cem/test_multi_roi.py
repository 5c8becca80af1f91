"""Several ROIs from one set of forwards: each ROI's map is bitwise the map of its own single-ROI run."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import needs_assets
from helpers import ACCELERATIONS

from cem_bench import CEMEstimator, Protocol, load_bank
from cem_bench.cem.estimator import CEMResult
from cem_bench.cem.sharing import counted_forwards
from cem_bench.core.assets import asset_path
from cem_bench.core.geometry import ROI
from cem_bench.core.images import read_rgb
from cem_bench.core.tasks import get_task
from cem_bench.models import load_model

# Apart, touching and overlapping ROIs, one not on the block grid.
ROIS = [ROI(8, 8, 16), ROI(40, 8, 16), ROI(20, 20, 16), ROI(30, 36, 24)]


def estimator(model, task, acceleration: str = "accel", batch_size: int | None = None, **protocol) -> CEMEstimator:
    settings = {"coarse": 3, "fine": 4, "tol": 0.01, **protocol}
    return CEMEstimator(model, task, load_bank("skimage-8"), Protocol(**settings), batch_size=batch_size,
                        progress=False, acceleration=ACCELERATIONS[acceleration])


def assert_same_map(single: CEMResult, shared: CEMResult) -> None:
    assert single.roi == shared.roi
    assert single.psnr_roi == shared.psnr_roi
    np.testing.assert_array_equal(single.ce, shared.ce)  # NaN (ROI blocks) compare equal here
    np.testing.assert_array_equal(single.n_samples, shared.n_samples)
    np.testing.assert_array_equal(single.stderr, shared.stderr)
    assert (single.forwards, single.fine_blocks) == (shared.forwards, shared.fine_blocks)
    assert single.acceleration["screened_blocks"] == shared.acceleration["screened_blocks"]


CASES = [
    ("box-blur-5", "dn", {"sigma": 50}),
    ("box-blur-3", "dr", {}),
    ("bicubic-x4", "sr", {"scale": 4}),
    ("nearest-x2", "sr", {"scale": 2}),
]


@pytest.mark.parametrize("sharing", ["shared", "separate", "auto"])
@pytest.mark.parametrize("acceleration", ["accel", "plain"])
@pytest.mark.parametrize(("name", "task_name", "params"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_each_roi_equals_its_single_roi_run(astronaut64, name, task_name, params, acceleration, sharing):
    model, task = load_model(name), get_task(task_name, **params)
    degraded = task.degrade(task.prepare_gt(astronaut64), 0)
    rois = ROIS if task.scale < 4 else ROIS[:3]
    run = estimator(model, task, acceleration).run_many(degraded, rois, sharing=sharing)
    assert len(run.maps) == len(rois)
    for roi, shared in zip(rois, run.maps):
        assert_same_map(estimator(model, task, acceleration).run(degraded, roi), shared)
    counts = [result.n_samples for result in run.maps]
    for result in run.maps:  # a map's sample counts give its own single-ROI run's forwards
        assert counted_forwards([result.n_samples], 3, 4) == result.forwards
    if sharing == "shared":
        assert run.groups == [list(range(len(rois)))]
        assert run.forwards == counted_forwards(counts, 3, 4)
        assert run.forwards <= sum(result.forwards for result in run.maps) - len(rois) + 1
    if sharing == "separate":
        assert run.groups == [[index] for index in range(len(rois))]
        assert run.forwards == 1 + sum(result.forwards - 1 for result in run.maps)  # one unmodified forward


def test_adaptive_sampling_stops_each_roi_by_its_own_rule(astronaut64):
    model, task = load_model("box-blur-5"), get_task("dn", sigma=50)
    degraded = task.degrade(task.prepare_gt(astronaut64), 0)
    settings = {"sampling": "adaptive", "step": 2, "fine": 8, "tol": 0.01}
    run = estimator(model, task, "plain", **settings).run_many(degraded, ROIS, sharing="shared")
    for roi, shared in zip(ROIS, run.maps):
        assert_same_map(estimator(model, task, "plain", **settings).run(degraded, roi), shared)


def test_batch_size_does_not_change_shared_maps(astronaut64):
    model, task = load_model("box-blur-3"), get_task("dn", sigma=25)
    degraded = task.degrade(task.prepare_gt(astronaut64), 0)
    one = estimator(model, task, "plain", batch_size=1).run_many(degraded, ROIS, sharing="shared")
    many = estimator(model, task, "plain", batch_size=7).run_many(degraded, ROIS, sharing="shared")
    for first, second in zip(one.maps, many.maps):
        assert_same_map(first, second)


def test_a_global_model_shares_forwards_and_costs_about_one_roi(astronaut64):
    """Channel attention reaches the whole image: nothing is screened, so R ROIs cost about one."""
    model, task = load_model("zoo-sr-rcan-ca"), get_task("sr", scale=4)
    degraded = task.degrade(task.prepare_gt(astronaut64), 0)
    rois = ROIS[:3]
    run = estimator(model, task, "accel", fine=2).run_many(degraded, rois)  # auto
    assert run.groups == [[0, 1, 2]]
    singles = [estimator(model, task, "accel", fine=2).run(degraded, roi) for roi in rois]
    for single, shared in zip(singles, run.maps):
        assert_same_map(single, shared)
    assert run.forwards < 0.5 * sum(single.forwards for single in singles)
    assert run.forwards == counted_forwards([single.n_samples for single in singles], 3, 2)


@needs_assets
@pytest.mark.slow
def test_dncnn_maps_from_shared_forwards_equal_single_roi_runs():
    # 64x64 keeps blocks beyond DnCNN's 20-px reach of every ROI (the screen and the crop run) at a
    # fifth of the forwards a 96x96 crop needs; the third ROI is off the block grid.
    crop = read_rgb(asset_path("images/cem_demo_2.png"))[136:200, 80:144]
    model, task = load_model("dncnn-color-blind"), get_task("dn", sigma=50)
    degraded = task.degrade(task.prepare_gt(crop), 0)
    rois = [ROI(8, 8, 16), ROI(40, 8, 16), ROI(20, 36, 24)]
    for acceleration in ("plain", "accel"):
        run = estimator(model, task, acceleration).run_many(degraded, rois, sharing="shared")
        for roi, shared in zip(rois, run.maps):
            assert_same_map(estimator(model, task, acceleration).run(degraded, roi), shared)
            if acceleration == "accel":
                assert shared.acceleration["screened_blocks"] > 0
