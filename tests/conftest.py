"""Shared fixtures: small images, the shared-assets switch, a tiny scoring helper and a tiny scored suite."""

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


@pytest.fixture(scope="session")
def scored(tmp_path_factory):
    """box-blur-5 on the tiny suite (tests/fixtures/tiny_suite.yaml): its unit records and complete result
    file, in a folder returned as a Path (read-only: copy it to edit)."""
    from pathlib import Path

    from cem_bench.pipeline.runner import run_suite
    from cem_bench.pipeline.suites import load_suite

    out = tmp_path_factory.mktemp("scored")
    run_suite(load_suite(Path(__file__).parent / "fixtures" / "tiny_suite.yaml"), ["box-blur-5"], out=out,
              progress=False, summary=False)
    return out
