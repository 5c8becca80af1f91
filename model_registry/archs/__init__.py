"""Architectures written by this project, discovered from the modules of this package.

Each module defines ``ARCHITECTURES: dict[str, type[nn.Module]]`` (one module per architecture
family, spandrel-style); a model card names one with ``architecture: {source: project, name: ...}``.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from torch import nn


@lru_cache(maxsize=1)
def architectures() -> dict[str, type[nn.Module]]:
    found: dict[str, type[nn.Module]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda item: item.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, cls in getattr(module, "ARCHITECTURES", {}).items():
            if name in found:
                raise RuntimeError(f"architecture {name!r} is defined twice")
            found[name] = cls
    return found
