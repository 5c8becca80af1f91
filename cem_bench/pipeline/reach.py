"""A model's reach on a suite task: which blocks one ROI's map samples, and on how large a crop.

A local model (a CNN) samples only the blocks near each ROI, on a cropped input; a model with a global
operation samples every block of the whole image. A timed forward cannot tell them apart, and on the
standard suite they differ by an order of magnitude per job, so the budgeted runner screens one ROI of each
(model, task) once — the scoring path's own gradient screen and crop check, then it stops before sampling —
and keeps what it found in ``<out>/<suite>/.reach.json``, keyed by model, task, card hash, suite hash and
device type (new weights or another protocol are screened again; a GPU's entry never stands in for a CPU's).
The entry also keeps the whole-input forward it timed (with the torch threads it ran on), so a report can
bound the CPU time of (model, task) pairs that no finished job times yet (:func:`cpu_job_bounds`).

One ROI stands in for the job's nine: exact for a translation-invariant model away from the border (ROIs
near it screen fewer blocks), an approximation where another ROI's crop check would fail and that ROI run
on the whole image.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch

from cem_bench.cem.acceleration import Acceleration
from cem_bench.cem.protocol import Protocol
from cem_bench.core.device import resolve_device
from cem_bench.core.errors import CemBenchError
from cem_bench.core.files import atomic_write_bytes
from cem_bench.core.geometry import ROI
from cem_bench.core.parsing import parse_json
from cem_bench.models import get_card
from cem_bench.pipeline.cost import BACKWARD_COST, RunCost
from cem_bench.pipeline.plan import Unit, card_sha256
from cem_bench.pipeline.scoring import score
from cem_bench.pipeline.suites import Suite

REACH_FILE = ".reach.json"


@dataclass(frozen=True)
class Reach:
    """What the screen and the crop check decided for one ROI: the blocks it samples (``candidates``), the
    model-input pixels of its intervention forwards over the whole input's (``share``, 1: no crop), and the
    image's blocks. ``forward_seconds``: one whole-input forward at batch 1 as timed then, on ``device`` with
    ``threads`` torch threads (None: not timed)."""

    candidates: int
    share: float
    blocks: int
    forward_seconds: float | None = None
    device: str | None = None
    threads: int | None = None


def forwards_bound(reach: Reach, rois: int, protocol: Protocol, settings: Acceleration = Acceleration()) -> float:
    """Whole-input forwards (a crop's forward counted by its share of the pixels) a job of ``rois`` ROIs runs
    at most: each ROI's screen (a forward and a backward per probe) and crop checks, then every sampled block's
    coarse and all its fine samples (only blocks a coarse sample moved get fine ones), run the cheaper way —
    each ROI on its own crop, or all ROIs sharing whole-image forwards — as ``sharing="auto"`` chooses.

    >>> local, whole = Reach(80, 0.14, 1024), Reach(1008, 1.0, 1024)
    >>> round(forwards_bound(local, 9, Protocol(coarse=3, fine=50)))  # 9 screens, then nine 96-px crops
    5452
    >>> forwards_bound(whole, 9, Protocol(coarse=3, fine=50))  # 9 screens, then one shared whole-image run
    54381
    """
    per_block = protocol.coarse + protocol.fine
    plan = rois * ((settings.probes + 1) * BACKWARD_COST + len(settings.aligns))
    separate = rois * (1 + reach.candidates * per_block) * reach.share
    shared = 1 + min(rois * reach.candidates, reach.blocks) * per_block
    return plan + min(separate, shared)


class _Planned(Exception):
    """Stops a ``score`` call once its sampling plan is known: nothing is sampled."""


def measure_reach(unit: Unit, suite: Suite, model: Any, device: str) -> Reach | None:
    """The reach of ``model`` (the unit's) on the unit's ROI; None when the run never reached a sampling plan
    (it then costs what a global model costs)."""
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
    return Reach(cost.candidates, height * width / (in_h * in_w), cost.blocks,
                 None if cost.forward is None else cost.forward.seconds, resolve_device(device).type,
                 torch.get_num_threads())


def reach_key(unit: Unit, suite: Suite, card: Any, device: str) -> str:
    """``MODEL|TASK|CARD-HASH|SUITE-HASH|DEVICE-TYPE`` (``cpu``, ``cuda``)."""
    return f"{unit.model}|{unit.task.label}|{card_sha256(card)[:16]}|{suite.hash}|{device}"


def read_reach(out: str | Path, suite: Suite) -> dict[str, Reach | None]:
    """Every kept reach of ``suite`` under ``out`` (none when the file does not exist); fields this version
    does not know are ignored."""
    path = Path(out) / suite.name / REACH_FILE
    if not path.is_file():
        return {}
    names = {field.name for field in fields(Reach)}
    try:
        known = parse_json(path.read_text())
        return {str(key): None if value is None else Reach(**{k: v for k, v in value.items() if k in names})
                for key, value in known.items()}
    except (ValueError, TypeError, AttributeError) as error:  # not JSON, or not the mapping this module writes
        raise CemBenchError(f"{path} is not a reach file cem-bench wrote ({type(error).__name__}: {error}); "
                            "delete it and its reaches are measured again") from None


def known_reach(unit: Unit, suite: Suite, out: str | Path, model: Any, device: str) -> Reach | None:
    """The reach of the unit's (model, task) on ``device`` from ``<out>/<suite>/.reach.json``, measured on the
    unit and added there when missing."""
    key = reach_key(unit, suite, get_card(unit.card_ref), resolve_device(device).type)
    known = read_reach(out, suite)
    if key not in known:
        reach = measure_reach(unit, suite, model, device)
        known = read_reach(out, suite)  # another run may have added some meanwhile
        known[key] = reach
        text = json.dumps({k: None if v is None else asdict(v) for k, v in known.items()}, indent=1, sort_keys=True)
        atomic_write_bytes(Path(out) / suite.name / REACH_FILE, (text + "\n").encode())
    return known[key]


def cpu_job_bounds(out: str | Path, suite: Suite, units: list[Unit], cards: dict[str, Any]) -> dict[tuple[str, str], float]:
    """Per planned (model, task) whose kept reach was timed on a CPU: the seconds one job of all the suite's
    ROIs takes at most at that forward's speed and threads (:func:`forwards_bound`). ``cards`` maps a unit's
    card_ref to its card."""
    known = read_reach(out, suite)
    bounds: dict[tuple[str, str], float] = {}
    for unit in units:
        reach = known.get(reach_key(unit, suite, cards[unit.card_ref], "cpu"))
        if reach is None or reach.forward_seconds is None:
            continue
        rois = len(suite.rois_for(unit.image))
        bounds[(unit.model, unit.task.label)] = reach.forward_seconds * forwards_bound(reach, rois, suite.protocol)
    return bounds


__all__ = ["REACH_FILE", "Reach", "cpu_job_bounds", "forwards_bound", "known_reach", "measure_reach", "read_reach",
           "reach_key"]
