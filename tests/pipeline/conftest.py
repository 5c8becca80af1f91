"""Fixtures shared by the pipeline tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from cem_bench.pipeline.suites import load_suite

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_suite.yaml"


@pytest.fixture(scope="session")
def scored(tmp_path_factory) -> Path:
    """box-blur-5 on the tiny suite: its unit records and complete result file (read-only: copy to edit)."""
    from cem_bench.pipeline.runner import run_suite

    out = tmp_path_factory.mktemp("scored")
    run_suite(load_suite(TINY), ["box-blur-5"], out=out, progress=False, summary=False)
    return out
