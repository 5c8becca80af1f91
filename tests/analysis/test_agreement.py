"""The LAM-vs-CEM comparison on hand-made model tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cem_bench.analysis.agreement import compare


def table(lam: list[float], cem: list[float], gain: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"lam_di": lam, "diffusion_index": cem, "psnr_gain": gain})


def test_opposite_monotone_trends_disagree():
    gain = list(np.linspace(0.5, 3.0, 8))
    result = compare(table(lam=list(range(8)), cem=list(range(8, 0, -1)), gain=gain))
    assert result["lam"]["verdict"] == "positive" and result["cem"]["verdict"] == "negative"
    assert result["agreement"] == "disagree"


def test_same_trend_agrees_and_too_few_models_give_nothing():
    gain = list(np.linspace(0.5, 3.0, 8))
    assert compare(table(list(range(8)), list(range(8)), gain))["agreement"] == "agree"
    assert compare(table([1, 2, 3], [1, 2, 3], [1, 2, 3])) is None


def test_unrelated_indices_are_inconclusive():
    rng = np.random.default_rng(1)
    result = compare(table(list(rng.random(6)), list(rng.random(6)), list(rng.random(6))))
    assert result["agreement"] == "inconclusive"
