"""Backends: what runs a loaded model's forward passes (torch eager, or ONNX Runtime on CPU).

A backend is a module of this package with ``create(module, device, config, notice, cache_dir) -> ServedModel``
and ``check(device)`` (a one-line error when it cannot run here: a missing package, an unsupported device),
optionally ``AUTO_BATCH_BYTES`` (the activation budget of its automatic batch, when the device's suits it badly),
registered by name in :data:`BACKENDS` and imported only when used (onnxruntime itself only when its backend
is checked or serves a model). ``torch`` lives in ``eager.py``: a submodule called ``torch`` would shadow the
torch package inside this one. The estimator never knows which backend runs: it calls ``ServedModel.model``
like any module, and the result records ``report()``.

Decision: there is no ``auto``. Every onnxruntime graph is checked against torch on its first batch, but
tracing can freeze a branch on a tensor value that this check cannot see (a user's model may have one),
an export costs seconds to half a minute per input shape, and the speed-up is 1.2-2x on a quiet machine:
choosing onnxruntime stays the user's explicit decision (``--backend onnxruntime``); torch is the default.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from cem_bench.cem.backends._base import Notice, ServedModel
from cem_bench.core.errors import ParameterError
from cem_bench.core.registry import Registry

DEFAULT_BACKEND = "torch"

BACKENDS: Registry[ModuleType] = Registry("backend")
for _name, _module in (("torch", "eager"), ("onnxruntime", "onnxruntime")):
    BACKENDS.register_lazy(_name, partial(importlib.import_module, f"{__name__}.{_module}"))


def available() -> list[str]:
    """Backend names shipped in this package.

    >>> available()
    ['torch', 'onnxruntime']
    """
    return BACKENDS.names()


def check(backend: str, device: torch.device | str = "cpu") -> None:
    """A one-line error unless ``backend`` names a backend that can run on ``device`` here (called before
    any model is loaded, so that a suite does not fail unit by unit)."""
    _module(backend).check(torch.device(device))


def _module(backend: str) -> ModuleType:
    if backend not in BACKENDS:
        raise ParameterError("backend", f"must be one of {', '.join(available())}, got {backend!r}")
    return BACKENDS.get(backend)


def auto_batch_bytes(backend: str) -> int | None:
    """The activation budget of ``backend``'s automatic batch (a backend module's ``AUTO_BATCH_BYTES``), or
    None for the device's default (``core.device.auto_batch_size``)."""
    budget = getattr(_module(backend), "AUTO_BATCH_BYTES", None)
    return None if budget is None else int(budget)


def serve(backend: str, module: nn.Module, device: torch.device | str = "cpu", config: Mapping[str, Any] | None = None,
          notice: Notice | None = None, cache_dir: str | Path | None = None) -> ServedModel:
    """``module`` (loaded, configured, on ``device``, in eval mode) served by the backend called ``backend``."""
    check(backend, device)
    return BACKENDS.get(backend).create(module, device=device, config=config, notice=notice, cache_dir=cache_dir)


__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Notice", "ServedModel", "auto_batch_bytes", "available", "check", "serve"]
