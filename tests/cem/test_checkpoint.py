"""Resume: an interrupted run (exception or kill -9) restarts from its samples and gives the same map."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import SlowModel, run_cem

from cem_bench import CEMEstimator, Protocol, load_bank
from cem_bench.cem.checkpoint import SampleStore
from cem_bench.core.geometry import ROI
from cem_bench.core.tasks import get_task
from cem_bench.models import load_model

ROOT = Path(__file__).resolve().parents[2]


class Interrupt(Exception):
    pass


class FailsAfter(torch.nn.Module):
    """box-blur-5, but raising on the n-th call: an interruption in the middle of sampling."""

    def __init__(self, calls: int) -> None:
        super().__init__()
        self.inner, self.calls = load_model("box-blur-5"), calls

    def forward(self, x):
        self.calls -= 1
        if self.calls < 0:
            raise Interrupt
        return self.inner(x)


def test_store_round_trips_exact_floats_and_ignores_other_keys(tmp_path):
    path = tmp_path / "partial.json"
    store = SampleStore(path, "key-a")
    values = np.array([0.1 + 0.2, 1 / 3, 31.123456789012345])
    store.extend("coarse", 7, values)
    store.flush(force=True)
    again = SampleStore(path, "key-a")
    assert again.resumed == 3 and np.array_equal(again.get("coarse", 7, 3), values[:, None])
    assert SampleStore(path, "key-b").resumed == 0
    wide = SampleStore(tmp_path / "wide.json", "key-c", width=2)  # one value per ROI sharing the forward
    wide.extend("fine", 3, np.array([[1.0, 2.0], [3.0, 4.0]]))
    wide.flush(force=True)
    assert SampleStore(tmp_path / "wide.json", "key-c", width=2).get("fine", 3, 1).tolist() == [[1.0, 2.0]]


# 5 calls plan the run (original, 3 screen probes, crop check); 9 batches of 4 cover the coarse stage.
@pytest.mark.parametrize("calls", [8, 17])  # inside the coarse stage; inside the fine stage
def test_interrupted_run_resumes_to_the_same_map(astronaut64, tmp_path, monkeypatch, calls):
    monkeypatch.setattr("cem_bench.cem.checkpoint.FLUSH_SECONDS", 0.0)
    task, roi, path = get_task("dn", sigma=50), ROI(24, 24, 16), tmp_path / "partial.json"
    reference = run_cem(load_model("box-blur-5"), task, astronaut64, roi, batch_size=4, fine=6)
    with pytest.raises(Interrupt):
        run_cem(FailsAfter(calls), task, astronaut64, roi, batch_size=4, fine=6, checkpoint=path)
    assert path.exists()
    # The key holds the model's parameters, not the wrapper: the resumed run uses the plain model.
    model = FailsAfter(10**6)
    resumed = run_cem(model, task, astronaut64, roi, batch_size=4, fine=6, checkpoint=path)
    assert resumed.resumed_samples > 0
    assert np.array_equal(resumed.ce, reference.ce, equal_nan=True)
    assert np.array_equal(resumed.stderr, reference.stderr, equal_nan=True)
    assert resumed.forwards == reference.forwards


SLOW_RUN = textwrap.dedent("""
    import sys, time, torch
    sys.path.insert(0, {tests!r})
    import cem_bench.cem.checkpoint
    cem_bench.cem.checkpoint.FLUSH_SECONDS = 0.0
    from cem_bench.core.geometry import ROI
    from cem_bench.core.images import read_rgb
    from cem_bench.core.tasks import get_task
    from helpers import run_cem
    from cem_bench.models import load_model

    from helpers import SlowModel

    image = read_rgb("skimage:astronaut")[200:264, 200:264].copy()
    run_cem(SlowModel(load_model("box-blur-5"), 0.05), get_task("dn", sigma=50), image, ROI(24, 24, 16), batch_size=2, fine=6,
            checkpoint={path!r})
""")


def samples(data: dict) -> int:
    """Sample rows in a checkpoint file, over its stores, stages and blocks."""
    return sum(len(rows) for store in data["stores"].values() for stage in store.values() for rows in stage.values())


def test_kill_9_then_rerun_gives_the_uninterrupted_map(astronaut64, tmp_path):
    path = tmp_path / "partial.json"
    script = SLOW_RUN.format(tests=str(ROOT / "tests"), path=str(path))
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists() and samples(json.loads(path.read_text())) >= 6:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    task, roi = get_task("dn", sigma=50), ROI(24, 24, 16)
    reference = run_cem(load_model("box-blur-5"), task, astronaut64, roi, fine=6)
    resumed = run_cem(SlowModel(load_model("box-blur-5"), 0.0), task, astronaut64, roi, fine=6, checkpoint=path)
    assert resumed.resumed_samples >= 6
    assert np.array_equal(resumed.ce, reference.ce, equal_nan=True)
    assert np.array_equal(resumed.stderr, reference.stderr, equal_nan=True)


def test_interrupted_separate_run_keeps_every_finished_roi(astronaut64, tmp_path, monkeypatch):
    """ROIs run separately (one group each) share one checkpoint file: an interruption in the last ROI
    must keep the finished ROIs' samples too, and the rerun must not overwrite the ones it resumes."""
    monkeypatch.setattr("cem_bench.cem.checkpoint.FLUSH_SECONDS", 0.0)
    task, path = get_task("dn", sigma=50), tmp_path / "partial.json"
    degraded = task.degrade(task.prepare_gt(astronaut64), 0)
    rois = [ROI(8, 8, 16), ROI(40, 40, 16)]

    def run(model, checkpoint=None):
        estimator = CEMEstimator(model, task, load_bank("skimage-8"), Protocol(coarse=3, fine=6, tol=0.0),
                                 batch_size=4, progress=False, checkpoint=checkpoint)
        return estimator.run_many(degraded, rois, sharing="separate")

    counter = FailsAfter(10**6)
    reference = run(counter)
    calls = 10**6 - counter.calls
    with pytest.raises(Interrupt):
        run(FailsAfter(calls - 2), checkpoint=path)  # in the last ROI's fine stage
    again = FailsAfter(10**6)
    resumed = run(again, checkpoint=path)
    assert resumed.groups == [[0], [1]]
    assert all(m.resumed_samples > 0 for m in resumed.maps)
    assert 10**6 - again.calls < calls / 2  # the planning passes and the last batches, not the ROIs again
    for mine, theirs in zip(resumed.maps, reference.maps):
        assert np.array_equal(mine.ce, theirs.ce, equal_nan=True) and mine.forwards == theirs.forwards


def test_stores_of_one_run_share_a_file_and_another_run_replaces_them(tmp_path):
    path = tmp_path / "partial.json"
    first = SampleStore(path, "group-a", run="run-1")
    first.extend("coarse", 1, np.array([1.0]))
    first.flush(force=True)
    second = SampleStore(path, "group-b", run="run-1")
    assert second.resumed == 0
    second.extend("coarse", 2, np.array([2.0, 3.0]))
    second.flush(force=True)
    assert [SampleStore(path, name, run="run-1").resumed for name in ("group-a", "group-b")] == [1, 2]
    SampleStore(path, "group-a", run="run-2").flush(force=True)
    assert SampleStore(path, "group-b", run="run-1").resumed == 0
    # A file written before stores were grouped by run still resumes its own store.
    path.write_text(json.dumps({"key": "group-a", "samples": {"coarse": {"1": [[4.0]]}}}))
    assert SampleStore(path, "group-a", run="run-1").get("coarse", 1, 1).tolist() == [[4.0]]
    assert SampleStore(path, "group-b", run="run-1").resumed == 0
