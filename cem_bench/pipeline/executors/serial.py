"""The serial executor: units one after another in this process (the default; exact and simple)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from cem_bench.pipeline.executors._base import Outcome


class SerialExecutor:
    name = "serial"

    def map(self, fn: Callable[[Any], dict[str, Any]], units: Sequence[Any]) -> Iterator[Outcome]:
        """Yield ``(unit, fn(unit))``, or ``(unit, exception)`` when ``fn`` raises.

        >>> list(SerialExecutor().map(lambda unit: {"twice": 2 * unit}, [1]))
        [(1, {'twice': 2})]
        >>> [type(outcome).__name__ for _, outcome in SerialExecutor().map(lambda unit: 1 // unit, [0])]
        ['ZeroDivisionError']
        """
        for unit in units:
            try:
                outcome: dict[str, Any] | BaseException = fn(unit)
            except Exception as error:  # noqa: BLE001 - reported to the runner, which decides
                outcome = error
            yield unit, outcome


def create(**options: Any) -> SerialExecutor:
    if options:
        raise TypeError(f"the serial executor takes no options, got {sorted(options)}")
    return SerialExecutor()
