"""cem-bench: Causal Effect Maps for image-restoration models.

The public API is small: build a :class:`Protocol`, pick a task, and call :func:`score`.

>>> from cem_bench import Protocol
>>> Protocol().id
'cem-v1/coarse-fine/b8-c3-f50-tol0.01-s0/skimage-8'
"""

__version__ = "0.1.0"

from cem_bench.core.banks import PatchBank, load_bank  # noqa: E402
from cem_bench.core.errors import CemBenchError  # noqa: E402
from cem_bench.cem.estimator import CEMEstimator, CEMResult  # noqa: E402
from cem_bench.core.geometry import ROI, BlockGrid  # noqa: E402
from cem_bench.lam import LAMResult, LAMSettings, lam  # noqa: E402
from cem_bench.cem.protocol import PROTOCOL_VERSION, Protocol  # noqa: E402
from cem_bench.pipeline.scoring import ScoredRun, score  # noqa: E402
from cem_bench.core.tasks import Task, get_task  # noqa: E402

__all__ = [
    "BlockGrid", "CEMEstimator", "CEMResult", "CemBenchError", "PROTOCOL_VERSION", "PatchBank", "Protocol",
    "ROI", "ScoredRun", "Task", "__version__", "get_task", "load_bank", "score",
    "LAMResult", "LAMSettings", "lam",
]
