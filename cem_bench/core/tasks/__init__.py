"""Degradations (tasks) by name: ``sr`` (bicubic x2/x3/x4), ``dn`` (Gaussian noise), ``dr`` (rain)."""

from __future__ import annotations

from cem_bench.core.errors import CemBenchError
from cem_bench.core.tasks.base import Degraded, Task
from cem_bench.core.tasks.dn import Denoising
from cem_bench.core.tasks.dr import Deraining
from cem_bench.core.tasks.sr import SuperResolution

TASKS: dict[str, type[Task]] = {"sr": SuperResolution, "dn": Denoising, "dr": Deraining}


def get_task(name: str, scale: int | None = None, sigma: float | None = None) -> Task:
    """Build a task from CLI-style parameters; parameters that do not apply to the task are errors.

    >>> get_task("sr", scale=2).label
    'sr-x2'
    """
    if name not in TASKS:
        raise CemBenchError(f"unknown task {name!r} (choose from {', '.join(TASKS)})")
    if name != "sr" and scale not in (None, 1):
        raise CemBenchError(f"--scale applies to task sr only, not {name}")
    if name != "dn" and sigma is not None:
        raise CemBenchError(f"--sigma applies to task dn only, not {name}")
    if name == "sr":
        return SuperResolution(scale if scale is not None else 4)
    if name == "dn":
        return Denoising(sigma if sigma is not None else 50)
    return Deraining()


__all__ = ["Degraded", "Task", "TASKS", "get_task", "SuperResolution", "Denoising", "Deraining"]
