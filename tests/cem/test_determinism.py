"""Same seed -> bitwise identical maps on CPU, whatever the batch size; another seed -> another map."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import run_cem

from cem_bench.core.geometry import ROI
from cem_bench.core.tasks import get_task
from cem_bench.models import load_model


@pytest.mark.parametrize(("name", "task_name", "params"), [
    ("box-blur-5", "dn", {"sigma": 50}),  # fresh noise per intervention
    ("box-blur-3", "dr", {}),  # rain residual re-added
    ("bicubic-x4", "sr", {"scale": 4}),
])
def test_batch_size_does_not_change_the_map(astronaut64, name, task_name, params):
    model, task = load_model(name), get_task(task_name, **params)
    maps = [run_cem(model, task, astronaut64, ROI(24, 24, 16), batch_size=size) for size in (1, 5, 64)]
    for other in maps[1:]:
        assert np.array_equal(maps[0].ce, other.ce, equal_nan=True)
        assert np.array_equal(maps[0].stderr, other.stderr, equal_nan=True)
        assert np.array_equal(maps[0].n_samples, other.n_samples)


def test_rerun_is_identical_and_seed_matters(astronaut64):
    model, task = load_model("box-blur-5"), get_task("dn", sigma=50)
    first = run_cem(model, task, astronaut64, ROI(24, 24, 16), seed=3)
    again = run_cem(model, task, astronaut64, ROI(24, 24, 16), seed=3)
    other = run_cem(model, task, astronaut64, ROI(24, 24, 16), seed=4)
    assert np.array_equal(first.ce, again.ce, equal_nan=True)
    assert not np.array_equal(first.ce, other.ce, equal_nan=True)
