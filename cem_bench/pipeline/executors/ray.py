"""The Ray executor: one Ray task per unit, on a local Ray instance or a cluster (``--address``).

Each task asks Ray for one CPU, and for one GPU when the driver sees CUDA, so a cluster packs one unit
per GPU. Ray's own retries are off: a failed unit comes back as its exception, the runner retries it
once and reports what still fails, so nothing is dropped silently. Records come back to the driver,
which writes every file, so workers need no shared disk. Ray is optional: ``pip install
'cem-bench[ray]'``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch

from cem_bench.core.errors import CemBenchError
from cem_bench.pipeline.executors._base import Outcome


class RayExecutor:
    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise CemBenchError("the ray executor needs Ray: pip install 'cem-bench[ray]'") from None
        self.ray, self.address, self.num_cpus = ray, address, num_cpus

    def _start(self) -> bool:
        """Connect to (or start) Ray; True when this call started it, so it is shut down after."""
        if self.ray.is_initialized():
            return False
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if self.address:
            options["address"] = self.address
        else:
            options["num_cpus"] = self.num_cpus
        try:
            self.ray.init(**options)
        except Exception as error:  # noqa: BLE001 - Ray raises many types when a cluster is unreachable
            raise CemBenchError(f"cannot start or reach Ray ({self.address or 'local'}): {error}") from None
        return True

    def map(self, fn: Callable[[Any], dict[str, Any]], units: Sequence[Any]) -> Iterator[Outcome]:
        """Submit every unit, then yield outcomes as tasks finish (any order, one per unit)."""
        if not units:
            return
        started = self._start()
        try:
            gpus = 1 if torch.cuda.is_available() else 0
            remote = self.ray.remote(num_cpus=1, num_gpus=gpus, max_retries=0)(_apply)
            shared = self.ray.put(fn)  # serialised once, not once per unit
            pending = {remote.remote(shared, unit): unit for unit in units}
            while pending:
                done, _ = self.ray.wait(list(pending), num_returns=1)
                for ref in done:
                    unit = pending.pop(ref)
                    try:
                        yield unit, self.ray.get(ref)
                    except self.ray.exceptions.RayTaskError as error:
                        yield unit, getattr(error, "cause", None) or error
                    except self.ray.exceptions.RayError as error:  # worker died, object lost, ...
                        yield unit, error
        finally:
            if started:
                self.ray.shutdown()


def _apply(fn: Callable[[Any], dict[str, Any]], unit: Any) -> dict[str, Any]:
    """The Ray task body (Ray needs a plain function; ``fn`` is usually a ``functools.partial``)."""
    return fn(unit)


def create(address: str | None = None, num_cpus: int | None = None) -> RayExecutor:
    return RayExecutor(address=address, num_cpus=num_cpus)
