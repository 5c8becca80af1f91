"""The ``torch`` backend: the loaded module itself, eager, on its device (the reference every other backend
is checked against). The module is returned unwrapped, so its resume key and outputs are exactly those of
a run without backends."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cem_bench.cem.backends._base import Notice, ServedModel


def check(device: torch.device) -> None:
    """torch runs wherever the model does."""


def create(module: nn.Module, device: torch.device | str = "cpu", config: Mapping[str, Any] | None = None,
           notice: Notice | None = None, cache_dir: str | Path | None = None) -> ServedModel:
    """Serve ``module`` as it is; the other arguments exist so that every backend is called alike."""
    return ServedModel(module, lambda: {"requested": "torch", "used": "torch", "fallbacks": []})
