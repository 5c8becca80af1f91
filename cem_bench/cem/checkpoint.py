"""Resumable sample storage: every finished block's ROI PSNR samples, saved atomically.

Each block's draws come from its own seeded generator, so a block's samples do not depend on which
other blocks were evaluated before; a run that is killed (even with ``kill -9``) and restarted from
this store therefore produces exactly the map of an uninterrupted run. The store is keyed by
everything that fixes the samples (protocol, task, images, ROI, model, input window). One file holds
the stores of one run: ROIs that run in separate groups each keep their own store (``key``) beside the
others under the run's key (``run``), so an interruption in the last group loses none of the finished
ones. A file of another run is ignored and overwritten.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from cem_bench.core.files import atomic_write_bytes
from cem_bench.core.parsing import parse_json

FLUSH_SECONDS = 5.0  # at most one write per interval while sampling; always one at the end of a stage


class SampleStore:
    """PSNR samples per (stage, block), one row of ``width`` values (one per ROI) per sample, optionally
    persisted to ``path`` as JSON (exact float64)."""

    def __init__(self, path: str | Path | None, key: str, width: int = 1, run: str | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.key = key
        self.run = key if run is None else run
        self.width = width
        self.samples: dict[str, dict[int, list[list[float]]]] = {}
        self.resumed = 0
        self._others: dict[str, object] = {}  # the other stores of this run in the file, written back as read
        self._last_flush = time.monotonic()
        if self.path is not None and self.path.exists():
            try:
                data = parse_json(self.path.read_text())
            except (OSError, ValueError):
                data = {}
            if not isinstance(data, dict):
                data = {}
            if "samples" in data:  # one store alone, as written before stores were grouped by run
                data = {"run": self.run, "stores": {key: data["samples"]}} if data.get("key") == key else {}
            stores = data.get("stores", {}) if data.get("run") == self.run else {}
            self._others = {name: value for name, value in stores.items() if name != key}
            self.samples = {stage: {int(block): values for block, values in blocks.items()}
                            for stage, blocks in stores.get(key, {}).items()}
            self.resumed = sum(len(values) for blocks in self.samples.values() for values in blocks.values())

    def count(self, stage: str, block: int) -> int:
        return len(self.samples.get(stage, {}).get(block, ()))

    def get(self, stage: str, block: int, stop: int) -> np.ndarray:
        """Samples ``[0, stop)`` of a block as ``[stop, width]``."""
        return np.asarray(self.samples[stage][block][:stop], dtype=np.float64).reshape(-1, self.width)

    def extend(self, stage: str, block: int, values: np.ndarray) -> None:
        rows = np.asarray(values, dtype=np.float64).reshape(-1, self.width)
        self.samples.setdefault(stage, {}).setdefault(block, []).extend([float(v) for v in row] for row in rows)

    def flush(self, force: bool = False) -> None:
        if self.path is None or (not force and time.monotonic() - self._last_flush < FLUSH_SECONDS):
            return
        own = {stage: {str(b): v for b, v in blocks.items()} for stage, blocks in self.samples.items()}
        payload = {"run": self.run, "stores": {**self._others, self.key: own}}
        atomic_write_bytes(self.path, json.dumps(payload).encode())
        self._last_flush = time.monotonic()

    def remove(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
