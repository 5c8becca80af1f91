"""What every executor is: a ``name`` and a ``map`` that yields one outcome per unit."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

Outcome = tuple[Any, "dict[str, Any] | BaseException"]


class Executor(Protocol):
    """Anything with a ``name`` and a ``map`` of this signature."""

    name: str

    def map(self, fn: Callable[[Any], dict[str, Any]], units: Sequence[Any]) -> Iterator[Outcome]:
        """Call ``fn(unit)`` for every unit; yield ``(unit, record)`` or ``(unit, exception)``."""
        ...
