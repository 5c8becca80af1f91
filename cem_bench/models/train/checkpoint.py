"""Resumable training: a checkpoint holds everything the next iteration depends on, written atomically.

A checkpoint is one file (``NAME.train.ckpt`` beside the run's outputs unless told otherwise) with the
network, the optimiser and learning-rate scheduler states, the data sampler's generator (which fixes
every later crop, flip, task and degradation seed), the global random states of torch, numpy and
Python, the iteration, the loss and validation history so far and the training seconds spent. It is
written to a temporary file and renamed (:func:`cem_bench.core.files.atomic_write_bytes`), so a
``kill -9`` at any moment leaves the previous checkpoint or the new one, never half a file. Resuming
from it on the same machine and torch build gives bitwise the weights of an uninterrupted run
(``tests/models/test_train_resume.py``). A checkpoint belongs to one config: resuming with another
(a changed schedule, another ``--iterations``) is refused, naming the fields that differ.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from cem_bench.core.errors import CemBenchError
from cem_bench.core.files import atomic_write_bytes
from cem_bench.models.train.recipe import TrainConfig

FORMAT = 1
SUFFIX = ".train.ckpt"  # not *.pt: a leftover checkpoint must not ship as zoo weights (package data)


@dataclass(frozen=True)
class Checkpointing:
    """Write a checkpoint to ``path`` every ``every`` iterations; ``resume`` continues from it if it exists."""

    path: Path
    every: int
    resume: bool = False

    def __post_init__(self) -> None:
        if self.every < 1:
            raise CemBenchError("checkpoints need an interval of at least 1 iteration")


def default_path(folder: Path, name: str) -> Path:
    return folder / f"{name}{SUFFIX}"


def capture_rng() -> dict[str, Any]:
    """The global random states of torch (CPU), numpy and Python, in types ``weights_only`` loading accepts."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    return {"torch": torch.get_rng_state(), "python": random.getstate(),
            "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "position": int(position),
                      "has_gauss": int(has_gauss), "cached_gaussian": float(cached)}}


def restore_rng(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    numpy = state["numpy"]
    np.random.set_state((numpy["kind"], numpy["keys"].numpy().astype(np.uint32), numpy["position"],
                         numpy["has_gauss"], numpy["cached_gaussian"]))


def save(path: Path, config: TrainConfig, state: dict[str, Any]) -> None:
    """Write ``state`` (the loop's: iteration, network, optimizer, ...) with the config and RNG states."""
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "config": config.model_dump(mode="json"), "torch": str(torch.__version__),
                "rng": capture_rng(), **state}, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def differences(saved: dict[str, Any], current: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted names of the fields that differ between two config dumps.

    >>> differences({"a": 1, "train": {"lr": 1, "seed": 0}}, {"a": 1, "train": {"lr": 2, "seed": 0}})
    ['train.lr']
    """
    names = []
    for key in sorted(set(saved) | set(current)):
        old, new = saved.get(key), current.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            names += differences(old, new, f"{prefix}{key}.")
        elif old != new:
            names.append(f"{prefix}{key}")
    return names


def _present(dump: dict[str, Any], dotted: str) -> bool:
    """Whether the dotted field name is a key path of ``dump``.

    >>> _present({"train": {"lr": 1}}, "train.lr"), _present({"train": {}}, "train.samples")
    (True, False)
    """
    node: Any = dump
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def config_changes(saved: dict[str, Any], config: TrainConfig) -> list[str]:
    """The fields in which ``config`` differs from the config dump a checkpoint was written with.

    A field added to the recipe after the checkpoint was written, and left at its default, trains as
    before the field existed: it is not a change (a checkpoint of a run in progress stays resumable).
    """
    explicit = config.model_dump(mode="json", exclude_defaults=True)
    return [name for name in differences(saved, config.model_dump(mode="json"))
            if _present(saved, name) or _present(explicit, name)]


def load(path: Path, config: TrainConfig) -> dict[str, Any]:
    """The checkpoint at ``path``, checked to belong to ``config``; anything wrong is one line."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - a truncated or foreign file raises many types
        raise CemBenchError(f"cannot read checkpoint {path}: {str(error).splitlines()[0] if str(error) else error!r}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CemBenchError(f"{path} is not a cem-bench training checkpoint (format {FORMAT})")
    changed = config_changes(state["config"], config)
    if changed:
        raise CemBenchError(f"checkpoint {path} was written for another config (differs in {', '.join(changed)}): "
                            "resume with the same config and --iterations, or delete it to start over")
    return state
