"""LAM's settings (the reference defaults) and its version, recorded in every LAM result."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from cem_bench.core.errors import CemBenchError

# Bumped on any change that alters LAM numbers (target, path, rule, normalisation).
LAM_VERSION = 1
DEFAULT_WINDOW = 16  # output pixels, as in the LAM reference
TARGET = "sum over window pixels and RGB channels of sqrt(forward dy^2 + forward dx^2) of the output"
PATH = "progressive gaussian blur, sigma(alpha) = (1 - alpha) * sigma, reflect-101 borders"
RULE = "right"  # gradient at the right end of each step, times the step's exact increment


@dataclass(frozen=True)
class LAMSettings:
    """Blur ``sigma`` of the baseline, Gaussian ``kernel_size``, integration ``steps``.

    >>> LAMSettings().id
    'lam-v1/blur-s1.2-k9/n50-right'
    """

    sigma: float = 1.2
    kernel_size: int = 9
    steps: int = 50

    def __post_init__(self) -> None:
        if isinstance(self.sigma, bool) or not isinstance(self.sigma, numbers.Real) or not math.isfinite(self.sigma):
            raise CemBenchError(f"LAM blur sigma must be a finite number, got {self.sigma}")
        if not self.sigma > 0:
            raise CemBenchError(f"LAM blur sigma must be positive, got {self.sigma}")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise CemBenchError(f"LAM kernel size must be a positive odd number, got {self.kernel_size}")
        if self.steps < 1:
            raise CemBenchError(f"LAM needs at least 1 integration step, got {self.steps}")

    @property
    def id(self) -> str:
        return f"lam-v{LAM_VERSION}/blur-s{self.sigma:g}-k{self.kernel_size}/n{self.steps}-{RULE}"

    def describe(self) -> dict[str, Any]:
        return {"name": "lam", "version": LAM_VERSION, "id": self.id, "target": TARGET, "path": PATH, "rule": RULE,
                "sigma": self.sigma, "kernel_size": self.kernel_size, "steps": self.steps}
