"""Jobs: the units of one (model, task, image), scored together so that their ROIs share forwards.

A job is the unit of work of the runner (and of an executor): ``score`` with every ROI of the image that
is still to do, one map per ROI, each identical to a single-ROI run's. A budgeted run orders jobs by an
estimate of their cost (cheapest first) and stops at its deadline; a job interrupted there keeps its
finished samples in ``<out>/<suite>/.partial/<job key>.json`` and resumes from them in a later run.

The estimate needs a model's *reach*: a local model (a CNN) samples only the blocks near each ROI, on a
cropped input, while a model with a global operation samples every block of the whole image, and a timed
forward alone cannot tell them apart (on the standard suite a local denoiser and a global SR model differ
by an order of magnitude per job). So one ROI of each (model, task) is screened once (the scoring path's own
gradient screen and crop check, no sampling) and what it found is kept in ``<out>/<suite>/.reach.json``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from cem_bench.cem.backends import DEFAULT_BACKEND, serve
from cem_bench.core.device import resolve_device
from cem_bench.core.files import atomic_write_bytes
from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.models import get_card
from cem_bench.pipeline.cost import RunCost
from cem_bench.pipeline.plan import Unit, card_sha256
from cem_bench.pipeline.scoring import score
from cem_bench.pipeline.suites import Suite

PARTIAL_DIR = ".partial"
REACH_FILE = ".reach.json"


@dataclass(frozen=True)
class Job:
    units: tuple[Unit, ...]

    @property
    def first(self) -> Unit:
        return self.units[0]

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


@dataclass(frozen=True)
class Reach:
    """What the gradient screen and the crop check decided for one ROI of a (model, task): the blocks that
    ROI samples and the model-input pixels of its intervention forwards over the whole input's (1: no crop)."""

    candidates: int
    share: float


class _Planned(Exception):
    """Stops a ``score`` call once its sampling plan is known: nothing is sampled."""


def measure_reach(job: Job, suite: Suite, model: Any, device: str) -> Reach | None:
    """The reach of the job's model on its middle ROI (the lattice's centre in the standard suite); None when
    the run never reached a sampling plan (it then costs what a global model costs)."""
    unit = job.units[len(job.units) // 2]
    planned: list[RunCost] = []

    def stop_at_plan(cost: RunCost) -> None:
        if cost.sampling is not None:
            planned.append(cost)
            raise _Planned

    try:
        score(model, unit.task.build(), suite.image(unit.image).chosen().read(), ROI(*unit.roi),
              protocol=suite.protocol, device=device, progress=False, on_cost=stop_at_plan)
    except _Planned:
        pass
    if not planned:
        return None
    cost = planned[0]
    (height, width), (in_h, in_w) = cost.sampling.input_shape, cost.input
    return Reach(cost.candidates, height * width / (in_h * in_w))


def known_reach(job: Job, suite: Suite, out: str | Path, model: Any, device: str) -> Reach | None:
    """The job's reach from ``<out>/<suite>/.reach.json``, measured and added there when missing. The key holds
    the card's hash and the suite's, so new weights or another protocol are screened again."""
    path = Path(out) / suite.name / REACH_FILE
    key = f"{job.first.model}|{job.first.task.label}|{card_sha256(get_card(job.first.card_ref))[:16]}|{suite.hash}"
    known = json.loads(path.read_text()) if path.is_file() else {}
    if key not in known:
        reach = measure_reach(job, suite, model, device)
        known = json.loads(path.read_text()) if path.is_file() else {}  # another run may have added some
        known[key] = None if reach is None else asdict(reach)
        atomic_write_bytes(path, (json.dumps(known, indent=1, sort_keys=True) + "\n").encode())
    return None if known[key] is None else Reach(**known[key])


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
    per_block = suite.protocol.coarse + suite.protocol.fine
    rois = len(job.units)
    if reach is None:
        reach = Reach(grid.n_blocks - int(grid.roi_mask(ROI(*job.first.roi)).sum()), 1.0)
    separate = rois * (1 + reach.candidates * per_block) * reach.share
    shared = 1 + min(rois * reach.candidates, grid.n_blocks) * per_block
    return Estimate(seconds * min(separate, shared), used)


__all__ = ["Estimate", "Job", "PARTIAL_DIR", "REACH_FILE", "Reach", "estimate_seconds", "known_reach", "make_jobs",
           "measure_reach", "partial_path"]
