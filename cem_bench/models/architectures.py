"""The architectures this project writes (``model_registry/archs``), as a registry cards name them by."""

from __future__ import annotations

from functools import lru_cache

from torch import nn

from cem_bench.core.registry import Registry
from model_registry.archs import architectures


@lru_cache(maxsize=1)
def project_architectures() -> Registry[type[nn.Module]]:
    """Every ``ARCHITECTURES`` entry of ``model_registry.archs``' modules (imported on first use)."""
    registry: Registry[type[nn.Module]] = Registry("project architecture")
    for name, cls in architectures().items():
        registry.register(name, cls)
    return registry
