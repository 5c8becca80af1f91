"""Executors: how the runner's independent units are computed (in this process, or on a cluster).

An executor maps a picklable function over units and yields ``(unit, record)`` for a success or
``(unit, exception)`` for a failure, in any order, one outcome per unit. It never retries and never
drops a unit: the runner retries failures once and reports what still fails. Each executor is a module
``cem_bench/pipeline/executors/NAME.py`` with ``create() -> Executor``, registered in :data:`EXECUTORS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cem_bench.core.registry import Registry
from cem_bench.pipeline.executors._base import Executor, Outcome

EXECUTORS: Registry[Callable[..., Executor]] = Registry.from_package("executor", __name__, attribute="create")


def available() -> list[str]:
    """Executor names shipped in this package.

    >>> "serial" in available()
    True
    """
    return EXECUTORS.names()


def get_executor(name: str, **options: Any) -> Executor:
    """The executor called ``name`` (``serial``; ``ray`` when installed), built with ``options``."""
    return EXECUTORS.get(name)(**options)


__all__ = ["EXECUTORS", "Executor", "Outcome", "available", "get_executor"]
