"""cem-bench: Causal Effect Maps for image-restoration models.

The public API is small: build a :class:`Protocol`, pick a task, and call :func:`score` (CEM) or
:func:`compute_lam` (LAM, for super-resolution models); :func:`estimate_cost` says what a run would
cost before it starts; :func:`load_model` gives any registered model (or card) as a module mapping RGB
in ``[0, 1]`` to RGB in ``[0, 1]``, whatever its own conventions. Everything else lives in the layers below:
``core`` < ``cem``, ``lam`` < ``records`` < ``models`` < ``analysis`` < ``report`` < ``pipeline`` < ``cli``
(docs/architecture.md).

The names are imported on first use (PEP 562), so ``import cem_bench.cli`` does not load torch before
the command line is parsed (and a Ctrl-C in the first second is handled by the CLI, not a traceback).

>>> from cem_bench import Protocol
>>> Protocol().id
'cem-v1/coarse-fine/b8-c3-f50-tol0.01-s0/skimage-8'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the lazy names are, for type checkers and readers
    from cem_bench.cem.estimator import CEMEstimator, CEMResult
    from cem_bench.cem.protocol import PROTOCOL_VERSION, Protocol
    from cem_bench.core.banks import PatchBank, load_bank
    from cem_bench.core.errors import CemBenchError, ParameterError
    from cem_bench.core.geometry import ROI, BlockGrid
    from cem_bench.core.tasks import Task, get_task
    from cem_bench.core.version import __version__
    from cem_bench.lam.settings import LAMSettings
    from cem_bench.models.loading import RestorationModel, load_model
    from cem_bench.pipeline.attribution import LAMResult, compute_lam
    from cem_bench.pipeline.cost import RunCost
    from cem_bench.pipeline.scoring import ScoredRun, estimate_cost, score

# public name -> module that defines it
_EXPORTS = {
    "CEMEstimator": "cem_bench.cem.estimator", "CEMResult": "cem_bench.cem.estimator",
    "PROTOCOL_VERSION": "cem_bench.cem.protocol", "Protocol": "cem_bench.cem.protocol",
    "PatchBank": "cem_bench.core.banks", "load_bank": "cem_bench.core.banks",
    "CemBenchError": "cem_bench.core.errors", "ParameterError": "cem_bench.core.errors",
    "ROI": "cem_bench.core.geometry", "BlockGrid": "cem_bench.core.geometry",
    "Task": "cem_bench.core.tasks", "get_task": "cem_bench.core.tasks",
    "__version__": "cem_bench.core.version",
    "LAMSettings": "cem_bench.lam.settings",
    "RestorationModel": "cem_bench.models.loading", "load_model": "cem_bench.models.loading",
    "LAMResult": "cem_bench.pipeline.attribution", "compute_lam": "cem_bench.pipeline.attribution",
    "RunCost": "cem_bench.pipeline.cost", "estimate_cost": "cem_bench.pipeline.scoring",
    "ScoredRun": "cem_bench.pipeline.scoring", "score": "cem_bench.pipeline.scoring",
}

__all__ = [
    "BlockGrid", "CEMEstimator", "CEMResult", "CemBenchError", "LAMResult", "LAMSettings", "PROTOCOL_VERSION",
    "ParameterError", "PatchBank", "Protocol", "ROI", "RestorationModel", "RunCost", "ScoredRun", "Task", "__version__",
    "compute_lam", "estimate_cost", "get_task", "load_bank", "load_model", "score",
]
assert sorted(__all__) == sorted(_EXPORTS), "every public name is exported lazily"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cem_bench' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
