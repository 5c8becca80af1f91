"""Do LAM and CEM agree about "using more input goes with better SR"? One computation, two pages.

The leaderboard and the findings report print the same table from :func:`agreement_rows` (docs/findings.md,
"LAM vs CEM"). Model set, per SR task: the trained (non-analytic), single-task models with a result file
(written only when complete) and both indices. Per method, Spearman's rho of the model means of its
diffusion index (LAM DI; CEM's DI on |CE|) with the mean ROI PSNR gain, with the Bonett–Wright interval
(:mod:`cem_bench.analysis.correlation`, at least 7 models). A method's sign is *positive* / *negative* when
its interval excludes 0, else *inconclusive*; the methods *agree* when both signs are the same definite
sign, *disagree* when opposite, else *inconclusive*.
"""

from __future__ import annotations

import pandas as pd

from cem_bench.analysis.correlation import MIN_MODELS, Correlation, spearman

HEADERS = ("task", "models", "LAM DI ~ gain", "CEM DI ~ gain", "LAM and CEM")
CAPTION = ("Spearman's rho of each diffusion index with the mean ROI PSNR gain over the task's trained single-task "
           f"models (analytic operators never enter), 95% Bonett–Wright interval over models (at least {MIN_MODELS}), "
           "sign per method and agreement computed by `cem_bench/analysis/agreement.py`.")
COLUMNS = ("lam_di", "diffusion_index", "psnr_gain")


def agreement(lam: str, cem: str) -> str:
    """Whether two sign verdicts agree.

    >>> agreement("positive", "positive"), agreement("positive", "negative"), agreement("positive", "inconclusive")
    ('agree', 'disagree', 'inconclusive')
    """
    if "inconclusive" in (lam, cem):
        return "inconclusive"
    return "agree" if lam == cem else "disagree"


def model_means(units: pd.DataFrame) -> pd.DataFrame:
    """One row per (SR task, trained single-task model) with both indices: mean LAM DI, CEM DI and gain."""
    if not len(units):
        return pd.DataFrame(columns=["task", "model", *COLUMNS])
    sr = units[(units["task_name"] == "sr") & ~units["analytic"].astype(bool) & ~units["multi_task"].astype(bool)]
    means = sr.groupby(["task", "model"], sort=True)[list(COLUMNS)].mean().reset_index()
    return means.dropna(subset=list(COLUMNS))


def compare(means: pd.DataFrame) -> dict[str, object]:
    """The two correlations and the agreement over one task's model means."""
    gain = means["psnr_gain"].to_numpy(float)
    lam: Correlation = spearman(means["lam_di"].to_numpy(float), gain)
    cem: Correlation = spearman(means["diffusion_index"].to_numpy(float), gain)
    return {"models": len(means), "lam": lam, "cem": cem, "agreement": agreement(lam.sign, cem.sign)}


def agreement_rows(units: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    """The table's rows (:data:`HEADERS`), one per SR task that has any eligible model."""
    rows = []
    for task, means in model_means(units).groupby("task", sort=True):
        result = compare(means)
        cells = [f"{result[m].text()} ({result[m].sign})" for m in ("lam", "cem")]
        verdict = result["agreement"] if result["models"] >= MIN_MODELS else f"too few models (< {MIN_MODELS})"
        rows.append((str(task), str(result["models"]), *cells, verdict))
    return tuple(rows)
