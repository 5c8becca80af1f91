"""The CEM protocol: every setting that changes a causal effect map, frozen and identified.

The defaults are the reference protocol of the paper (block 8 output pixels, 3 coarse and 50 fine
interventions per block, tolerance 0.01 dB). ``PROTOCOL_VERSION`` is bumped whenever the estimator
changes numbers for the same settings; it is part of every protocol id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from .banks import DEFAULT_BANK
from .errors import CemBenchError

PROTOCOL_VERSION = 1
SAMPLING = "coarse-fine"


@dataclass(frozen=True)
class Protocol:
    """Sampling settings of one CEM run (the task and ROI are recorded beside it)."""

    block: int = 8
    coarse: int = 3
    fine: int = 50
    tol: float = 0.01
    seed: int = 0
    bank: str = DEFAULT_BANK

    def __post_init__(self) -> None:
        if self.coarse < 1:
            raise CemBenchError("--coarse must be at least 1")
        if self.fine < 0:
            raise CemBenchError("--fine must be non-negative")
        if self.tol < 0:
            raise CemBenchError("--tol must be non-negative")
        if self.seed < 0:
            raise CemBenchError("--seed must be non-negative")

    @property
    def id(self) -> str:
        """Human-readable identity, e.g. ``cem-v1/coarse-fine/b8-c3-f50-tol0.01-s0/skimage-8``."""
        settings = f"b{self.block}-c{self.coarse}-f{self.fine}-tol{self.tol:g}-s{self.seed}"
        return f"cem-v{PROTOCOL_VERSION}/{SAMPLING}/{settings}/{self.bank}"

    def describe(self, bank_sha256: str) -> dict[str, object]:
        record = {"id": self.id, "version": PROTOCOL_VERSION, "sampling": SAMPLING, **asdict(self)}
        record["bank"] = {"name": self.bank, "sha256": bank_sha256}
        record["hash"] = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]
        return record
