"""One module per CLI command; each has ``register(subparsers)`` that sets ``func``.

Commands are registered in :data:`COMMANDS` from this package's modules, so adding ``NAME.py`` with a
``register`` function adds a command. Shared argument groups live in :mod:`cem_bench.cli.options`.
"""

from __future__ import annotations

from types import ModuleType

from cem_bench.core.registry import Registry

COMMANDS: Registry[ModuleType] = Registry.from_package("command", __name__)

__all__ = ["COMMANDS"]
