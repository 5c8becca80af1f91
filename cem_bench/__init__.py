"""cem-bench: Causal Effect Maps for image-restoration models.

The public API is small: build a :class:`Protocol`, pick a task, and call :func:`score` (CEM) or
:func:`compute_lam` (LAM, for super-resolution models). Everything else lives in the layers below:
``core`` < ``cem``, ``lam`` < ``records`` < ``models`` < ``analysis`` < ``report`` < ``pipeline`` < ``cli``
(docs/architecture.md).

>>> from cem_bench import Protocol
>>> Protocol().id
'cem-v1/coarse-fine/b8-c3-f50-tol0.01-s0/skimage-8'
"""

from cem_bench.cem.estimator import CEMEstimator, CEMResult
from cem_bench.cem.protocol import PROTOCOL_VERSION, Protocol
from cem_bench.core.banks import PatchBank, load_bank
from cem_bench.core.errors import CemBenchError, ParameterError
from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.core.tasks import Task, get_task
from cem_bench.core.version import __version__
from cem_bench.lam.settings import LAMSettings
from cem_bench.pipeline.attribution import LAMResult, compute_lam
from cem_bench.pipeline.scoring import ScoredRun, score

__all__ = [
    "BlockGrid", "CEMEstimator", "CEMResult", "CemBenchError", "LAMResult", "LAMSettings", "PROTOCOL_VERSION",
    "ParameterError", "PatchBank", "Protocol", "ROI", "ScoredRun", "Task", "__version__", "compute_lam", "get_task",
    "load_bank", "score",
]
