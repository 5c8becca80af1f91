"""Shared fixtures: small images, the shared-assets switch, and a tiny scoring helper."""

from __future__ import annotations

import numpy as np
import pytest

from cem_bench.core.assets import asset_path
from cem_bench.core.images import read_rgb

ASSETS = asset_path("checkpoints") is not None
needs_assets = pytest.mark.skipif(not ASSETS, reason="needs ../shared/assets (CEM_BENCH_ASSETS)")
needs_sun_hays = pytest.mark.skipif(asset_path("benchmarks/CSun_Hays80") is None,
                                    reason="needs ../shared/assets/benchmarks/CSun_Hays80 (CEM_BENCH_ASSETS)")


@pytest.fixture(scope="session")
def astronaut64() -> np.ndarray:
    """A 64x64 textured crop of an evaluation image (uint8 HxWx3)."""
    return read_rgb("skimage:astronaut")[200:264, 200:264].copy()


@pytest.fixture(scope="session")
def coffee_odd() -> np.ndarray:
    """A 44x60 crop: neither side is a multiple of 8, so the grid has partial edge blocks."""
    return read_rgb("skimage:coffee")[100:144, 200:260].copy()
