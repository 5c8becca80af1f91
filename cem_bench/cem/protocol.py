"""The CEM protocol: every setting that changes a causal effect map, frozen and identified.

The defaults are the reference protocol of the paper (block 8 output pixels, 3 coarse and 50 fine
interventions per block, tolerance 0.01 dB). ``sampling="adaptive"`` is this benchmark's own,
pre-registered early-stopping rule for the fine stage (see ``sampler.adaptive_done``); its results
carry a different protocol id and are never mixed with standard ones. ``PROTOCOL_VERSION`` is bumped whenever the estimator
changes numbers for the same settings; it is part of every protocol id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from cem_bench.core.banks import DEFAULT_BANK
from cem_bench.core.errors import ParameterError, require_finite

PROTOCOL_VERSION = 1
SAMPLINGS = ("coarse-fine", "adaptive")


@dataclass(frozen=True)
class Protocol:
    """Sampling settings of one CEM run (the task and ROI are recorded beside it)."""

    block: int = 8
    coarse: int = 3
    fine: int = 50
    tol: float = 0.01
    seed: int = 0
    bank: str = DEFAULT_BANK
    sampling: str = "coarse-fine"
    step: int = 10  # adaptive only: fine samples per round, and the minimum before stopping
    fast: bool = False  # channels-last + reduced precision (fast.py): non-standard, deviation recorded

    def __post_init__(self) -> None:
        if self.sampling not in SAMPLINGS:
            raise ParameterError("sampling", f"must be one of {', '.join(SAMPLINGS)}, got {self.sampling!r}")
        if self.step < 2:
            raise ParameterError("step", "must be at least 2 (a standard error needs two samples)")
        if self.coarse < 1:
            raise ParameterError("coarse", "must be at least 1")
        if self.fine < 0:
            raise ParameterError("fine", "must be non-negative")
        require_finite("tol", self.tol)  # NaN would pass `< 0` and every later comparison, then break the record
        if self.tol < 0:
            raise ParameterError("tol", "must be non-negative")
        if self.seed < 0:
            raise ParameterError("seed", "must be non-negative")

    @property
    def id(self) -> str:
        """Human-readable identity, e.g. ``cem-v1/coarse-fine/b8-c3-f50-tol0.01-s0/skimage-8``.

        >>> Protocol(sampling="adaptive").id
        'cem-v1/adaptive/b8-c3-f50-step10-tol0.01-s0/skimage-8'
        """
        step = f"-step{self.step}" if self.sampling == "adaptive" else ""
        settings = f"b{self.block}-c{self.coarse}-f{self.fine}{step}-tol{self.tol:g}-s{self.seed}"
        fast = "+fast" if self.fast else ""
        return f"cem-v{PROTOCOL_VERSION}/{self.sampling}/{settings}/{self.bank}{fast}"

    def describe(self, bank_sha256: str) -> dict[str, object]:
        settings = asdict(self)
        if self.sampling != "adaptive":
            del settings["step"]  # keeps the standard protocol's hash independent of an unused knob
        if not self.fast:
            del settings["fast"]
        record = {"id": self.id, "version": PROTOCOL_VERSION, **settings}
        record["bank"] = {"name": self.bank, "sha256": bank_sha256}
        record["hash"] = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]
        return record
