"""The LAM-vs-CEM table, one computation for the leaderboard and the report, on hand-made unit tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cem_bench.analysis.agreement import agreement_rows, compare, model_means


def table(lam, cem, gain, task="sr-x4", analytic=False) -> pd.DataFrame:
    n = len(gain)
    return pd.DataFrame({"task": task, "task_name": "sr", "model": [f"m{k}" for k in range(n)],
                         "analytic": analytic, "multi_task": False, "lam_di": lam, "diffusion_index": cem,
                         "psnr_gain": gain})


def test_opposite_monotone_trends_disagree():
    gain = list(np.linspace(0.5, 3.0, 8))
    result = compare(table(lam=list(range(8)), cem=list(range(8, 0, -1)), gain=gain))
    assert result["lam"].sign == "positive" and result["cem"].sign == "negative"
    assert result["agreement"] == "disagree"


def test_same_trend_agrees_and_too_few_models_give_no_sign():
    gain = list(np.linspace(0.5, 3.0, 8))
    assert compare(table(list(range(8)), list(range(8)), gain))["agreement"] == "agree"
    few = compare(table([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]))  # rho = 1, but only 5 models
    assert few["cem"].sign == "inconclusive" and few["agreement"] == "inconclusive"


def test_unrelated_indices_are_inconclusive():
    rng = np.random.default_rng(1)
    result = compare(table(list(rng.random(9)), list(rng.random(9)), list(rng.random(9))))
    assert result["agreement"] == "inconclusive"


def test_analytic_and_multi_task_models_never_enter():
    trained = table(list(range(8)), list(range(8)), list(np.linspace(0.5, 3.0, 8)))
    bicubic = table([99.0], [99.0], [-5.0], analytic=True).assign(model="bicubic-x4")
    mixed = table([99.0], [99.0], [-5.0]).assign(model="zoo-mt-all", multi_task=True)
    means = model_means(pd.concat([trained, bicubic, mixed]))
    assert sorted(means["model"]) == sorted(trained["model"])
    rows = agreement_rows(pd.concat([trained, bicubic, mixed]))
    assert rows == agreement_rows(trained)
    assert rows[0][:2] == ("sr-x4", "8") and rows[0][-1] == "agree"
