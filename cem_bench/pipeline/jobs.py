"""Jobs: the units of one (model, task, image), scored together so that their ROIs share forwards.

A job is the unit of work of the runner (and of an executor): ``score`` with every ROI of the image that
is still to do, one map per ROI, each identical to a single-ROI run's. A budgeted run orders jobs by an
estimate of their cost (cheapest first) and stops at its deadline; a job interrupted there keeps its
finished samples in ``<out>/<suite>/.partial/<job key>.json`` and resumes from them in a later run.
The estimate takes the model's reach (:mod:`cem_bench.pipeline.reach`): which blocks a ROI samples, on how
large a crop.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from cem_bench.cem.backends import DEFAULT_BACKEND, serve
from cem_bench.core.device import resolve_device
from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.pipeline.plan import Unit
from cem_bench.pipeline.reach import Reach, forwards_bound
from cem_bench.pipeline.suites import Suite

PARTIAL_DIR = ".partial"


@dataclass(frozen=True)
class Job:
    units: tuple[Unit, ...]

    @property
    def first(self) -> Unit:
        return self.units[0]

    @property
    def middle(self) -> Unit:
        """The middle unit still to do (the lattice's centre in the standard suite when all 9 are): the one
        screened for the reach of the job's (model, task)."""
        return self.units[len(self.units) // 2]

    @property
    def key(self) -> str:
        """``MODEL.TASK.IMAGE``, e.g. ``imdn-x4.sr-x4.urban-024``."""
        return f"{self.first.model}.{self.first.task.label}.{self.first.image}"


def make_jobs(units: list[Unit]) -> list[Job]:
    """Units grouped by (model, task, image), in plan order."""
    groups: dict[tuple[str, str, str], list[Unit]] = {}
    for unit in units:
        groups.setdefault((unit.model, unit.task.label, unit.image), []).append(unit)
    return [Job(tuple(members)) for members in groups.values()]


def partial_path(out: str | Path, suite: Suite, job: Job) -> Path:
    return Path(out) / suite.name / PARTIAL_DIR / f"{job.key}.json"


@dataclass(frozen=True)
class Estimate:
    """A job's estimated seconds and the backend whose forward was timed: the one asked for, or ``torch``
    where the onnxruntime backend fell back for that input shape (the run will fall back the same way)."""

    seconds: float
    backend: str


@lru_cache(maxsize=64)
def _forward_seconds(model_key: str, model: Any, shape: tuple[int, int], device: str, backend: str,
                     config_json: str) -> tuple[float, str]:
    """Seconds of one forward at batch 1 on a random input of ``shape`` as ``backend`` serves it (best of two,
    after a warm-up that also pays for onnxruntime's export or cache hit and check), and what ran it."""
    torch_device = resolve_device(device)
    # The scoring path's own serve call and config, so the graph exported here is the one a run reuses.
    served = serve(backend, model, torch_device, config=json.loads(config_json), notice=lambda line: None)
    x = torch.rand(1, 3, *shape, generator=torch.Generator().manual_seed(0)).to(torch_device)
    best = float("inf")
    with torch.inference_mode():
        served.model(x)
        for _ in range(2):
            start = time.perf_counter()
            served.model(x)
            best = min(best, time.perf_counter() - start)
    return best, served.report()["used"]


def estimate_seconds(job: Job, suite: Suite, model: Any, device: str, backend: str = DEFAULT_BACKEND,
                     reach: Reach | None = None) -> Estimate:
    """A job's cost from one timed forward on ``backend`` and the model's ``reach``: every block its ROIs
    sample gets its coarse and all its fine samples (an upper bound: only blocks a coarse sample moved get
    fine ones), run the cheaper way, each ROI on its own crop or all ROIs sharing one whole-image run (as
    ``sharing="auto"`` chooses). Without ``reach`` every block is counted, as for a global model. This
    orders jobs and sizes the work left; it does not promise a time."""
    task = job.first.task.build()
    height, width = suite.image(job.first.image).chosen().read().shape[:2]
    height, width = height // task.scale * task.scale, width // task.scale * task.scale
    grid = BlockGrid(height, width, suite.protocol.block, task.scale)
    if hasattr(model, "configure"):
        model.configure(task)  # e.g. the noise level of a noise-map model; scoring configures it again
    key = f"{job.first.card_ref}/{task.label}"
    config = json.dumps({"task": task.describe()}, sort_keys=True)
    seconds, used = _forward_seconds(key, model, (height // task.scale, width // task.scale), device, backend, config)
    if reach is None:
        reach = Reach(grid.n_blocks - int(grid.roi_mask(ROI(*job.first.roi)).sum()), 1.0, grid.n_blocks)
    return Estimate(seconds * forwards_bound(reach, len(job.units), suite.protocol), used)


__all__ = ["Estimate", "Job", "PARTIAL_DIR", "estimate_seconds", "make_jobs", "partial_path"]
