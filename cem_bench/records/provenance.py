"""What every result records about the model and the image it was computed on (CEM and LAM alike)."""

from __future__ import annotations

from typing import Any

from cem_bench.core.images import array_sha256
from cem_bench.core.tasks import Degraded


def model_identity(model: Any) -> dict[str, Any]:
    """Name, weights sha256 and parameter count of a loaded model (None where unknown)."""
    return {
        "name": getattr(model, "name", type(model).__name__),
        "weights_sha256": getattr(model, "weights_sha256", None),
        "params": model.parameter_count() if hasattr(model, "parameter_count") else None,
    }


def image_identity(degraded: Degraded, source: str) -> dict[str, Any]:
    """Source, content hashes and size of the ground truth and of the model input."""
    height, width = degraded.gt.shape[:2]
    return {
        "source": source,
        "sha256": array_sha256(degraded.gt),
        "size": [width, height],
        "lq_sha256": array_sha256(degraded.lq),
        "lq_user_supplied": degraded.user_supplied,
    }


def environment(device: Any, batch_size: int | None, backend: dict[str, Any] | None = None,
                **extra: Any) -> dict[str, Any]:
    """Package version, git revision, torch, device, batch size, the backend that ran the forwards (when
    given; a record without one ran on torch) and creation time (UTC) of a run."""
    import datetime as dt

    import torch

    from cem_bench.core.version import __version__
    from cem_bench.records.io import git_revision

    return {
        "package_version": __version__,
        "git_revision": git_revision(),
        "torch": torch.__version__,
        "device": str(device),
        "batch_size": batch_size,
        **({} if backend is None else {"backend": backend}),
        **extra,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
