"""Executors: how the runner's independent units are computed (in this process, or on a cluster).

An executor maps a picklable function over units and yields ``(unit, record)`` for a success or
``(unit, exception)`` for a failure, in any order, one outcome per unit. It never retries and never
drops a unit: the runner retries failures once and reports what still fails. Each executor is a module
``cem_bench/executors/NAME.py`` with ``create() -> Executor``; :func:`get_executor` finds it by name.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from cem_bench.core.errors import CemBenchError

Outcome = tuple[Any, "dict[str, Any] | BaseException"]


class Executor(Protocol):
    """Anything with a ``name`` and a ``map`` of this signature."""

    name: str

    def map(self, fn: Callable[[Any], dict[str, Any]], units: Sequence[Any]) -> Iterator[Outcome]:
        """Call ``fn(unit)`` for every unit; yield ``(unit, record)`` or ``(unit, exception)``."""
        ...


def available() -> list[str]:
    """Executor names shipped in this package.

    >>> "serial" in available()
    True
    """
    return sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))


def get_executor(name: str, **options: Any) -> Executor:
    """The executor called ``name`` (``serial``; ``ray`` when installed), built with ``options``."""
    if name not in available():
        raise CemBenchError(f"unknown executor {name!r} (available: {', '.join(available())})")
    module = importlib.import_module(f"{__name__}.{name}")
    return module.create(**options)


__all__ = ["Executor", "Outcome", "available", "get_executor"]
