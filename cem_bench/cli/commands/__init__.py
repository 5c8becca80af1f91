"""One module per CLI command; each has ``register(subparsers)`` that sets ``func``.

Commands are discovered, so adding ``commands/NAME.py`` with a ``register`` function adds a command.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def discover() -> list[ModuleType]:
    """Command modules in name order (``options`` and other helpers have no ``register``)."""
    modules = [importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)]
    return [module for module in modules if hasattr(module, "register")]
