"""Degradations (tasks) by name: ``sr`` (bicubic x2/x3/x4), ``dn`` (Gaussian noise), ``dr`` (rain)."""

from __future__ import annotations

from cem_bench.core.errors import ParameterError
from cem_bench.core.registry import Registry
from cem_bench.core.tasks.base import Degraded, Task
from cem_bench.core.tasks.dn import Denoising
from cem_bench.core.tasks.dr import Deraining
from cem_bench.core.tasks.sr import SuperResolution

TASKS: Registry[type[Task]] = Registry("task", hint="choose from sr, dn, dr")
for _name, _cls in (("sr", SuperResolution), ("dn", Denoising), ("dr", Deraining)):
    TASKS.register(_name, _cls)


def get_task(name: str, scale: int | None = None, sigma: float | None = None) -> Task:
    """Build a task from CLI-style parameters; parameters that do not apply to the task are errors.

    >>> get_task("sr", scale=2).label
    'sr-x2'
    """
    cls = TASKS.get(name)
    if name != "sr" and scale not in (None, 1):
        raise ParameterError("scale", f"applies to task sr only, not {name}")
    if name != "dn" and sigma is not None:
        raise ParameterError("sigma", f"applies to task dn only, not {name}")
    if cls is SuperResolution:
        return SuperResolution(scale if scale is not None else 4)
    if cls is Denoising:
        return Denoising(sigma if sigma is not None else 50)
    return cls()


__all__ = ["Degraded", "Task", "TASKS", "get_task", "SuperResolution", "Denoising", "Deraining"]
