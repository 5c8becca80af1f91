"""Finding 1: using more of the input does not always help (CEM paper, finding 1; contra LAM).

Pre-registered (docs/findings.md) before any result was looked at; the verdict is computed by
:func:`verdict` from the two statistics of :func:`analyse`, never written by hand.
"""

from __future__ import annotations

import pandas as pd

from cem_bench.analysis.agreement import agreement
from cem_bench.analysis.agreement import verdict as sign_verdict
from cem_bench.analysis.findings.data import trained
from cem_bench.analysis.findings.stats import (
    MIN_CORRELATED,
    MIN_PAIRED,
    Estimate,
    Finding,
    Table,
    Verdict,
    bootstrap_mean,
    cell,
    interval_text,
    pooled_rank_correlation,
)

NUMBER = 1
TITLE = "Using more input does not always help"
HYPOTHESIS = ("Using more of the input (e.g. a larger receptive field) does not always help: distant blocks often "
              "carry negative effects, and models that involve more input do not uniformly restore the ROI better.")
SR = "sr"
DEPTH_FAMILY = ("zoo-sr-msrresnet-b2", "zoo-sr-msrresnet-b6", "zoo-sr-msrresnet-b12", "zoo-sr-swinir")
DEPTH_TASK = "sr-x4"
TEST = (
    "Models: every trained (non-analytic) model with results on an SR task. "
    "(a) Mean `negative_fraction` (negative / non-zero blocks) over all their (task, image, ROI) units, 95% "
    "percentile-bootstrap CI over units. "
    "(b) Per model and SR task, the mean CEM diffusion index and the mean ROI PSNR gain; both are ranked within "
    "each SR task (percentile ranks) and the tasks pooled; Spearman's rho over the pooled (task, model) points, "
    "95% bootstrap CI over them (with a single SR task this is the plain Spearman rho over its models). "
    f"Verdict: *not supported* if (b)'s CI lies entirely above 0 (more input reliably goes with better "
    f"restoration, as LAM claims); otherwise *supported* if (a)'s CI lower bound is above 0; otherwise "
    f"*inconclusive*. Also *inconclusive* when (a) has fewer than {MIN_PAIRED} units or (b) fewer than "
    f"{MIN_CORRELATED} points. Beside it: rho(LAM DI, gain) over the same points and whether LAM and CEM agree "
    "(`cem_bench/agreement.py`: a sign verdict per method when its CI excludes 0); descriptively, the zoo depth "
    f"family ({', '.join(DEPTH_FAMILY)}) on {DEPTH_TASK}: non-zero blocks and gain per model."
)
LIMITS = ("Small, briefly CPU-trained zoo models and a handful of published checkpoints; the quick suite has "
          "three (image, ROI) units per model, so intervals are wide and the rank correlation rests on few models.")


def sr_units(units: pd.DataFrame) -> pd.DataFrame:
    """Units of trained models on SR tasks."""
    return trained(units)[lambda frame: frame["task_name"] == SR]


def model_means(units: pd.DataFrame) -> pd.DataFrame:
    """One row per (SR task, trained model): mean DI, LAM DI, gain, non-zero blocks, negative fraction."""
    columns = ["diffusion_index", "lam_di", "psnr_gain", "nonzero", "negative_fraction"]
    data = sr_units(units)
    if not len(data):
        return pd.DataFrame(columns=["task", "model", *columns, "units"])
    means = data.groupby(["task", "model"], sort=True)[columns].mean().reset_index()
    means["units"] = data.groupby(["task", "model"], sort=True).size().to_numpy()
    return means


def verdict(negative: Estimate, correlation: Estimate) -> Verdict:
    """The pre-registered rule on (a) the negative fraction and (b) rho(CEM DI, gain).

    >>> verdict(Estimate(0.3, 0.2, 0.4, 9), Estimate(-0.2, -0.8, 0.5, 6)).verdict
    'supported'
    >>> verdict(Estimate(0.3, 0.2, 0.4, 9), Estimate(0.9, 0.6, 1.0, 6)).verdict
    'not supported'
    """
    b = f"rho(CEM DI, gain) = {interval_text(correlation)}"
    a = f"negative fraction = {interval_text(negative)}"
    if correlation.n >= MIN_CORRELATED and correlation.defined and correlation.low > 0:
        return Verdict("not supported", f"{b}: the CI lies entirely above 0, so models using more input reliably "
                                        "restore the ROI better")
    if correlation.n < MIN_CORRELATED:
        return Verdict("inconclusive", f"too few trained SR models for the correlation ({correlation.n} points, "
                                       f"need {MIN_CORRELATED}); {a}")
    if not correlation.defined:
        return Verdict("inconclusive", f"rho(CEM DI, gain) is undefined over {correlation.n} points (constant "
                                       f"values); {a}")
    if negative.n < MIN_PAIRED or not negative.defined:
        return Verdict("inconclusive", f"too few units with a defined negative fraction ({negative.n}, need "
                                       f"{MIN_PAIRED}); {b}")
    if negative.low > 0:
        return Verdict("supported", f"{a}: its lower bound is above 0 (negative effects are present), and {b} does "
                                    "not lie above 0")
    return Verdict("inconclusive", f"{a}: its CI reaches 0, so negative effects are not reliably present; {b}")


def _correlation_rows(means: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    rows = []
    scopes = [("pooled (within-task ranks)", means)] + [(task, group) for task, group in means.groupby("task")]
    for scope, frame in scopes:
        both = frame.dropna(subset=["diffusion_index", "lam_di", "psnr_gain"])
        # within one task the percentile ranks keep the order: the same rho as on the raw means, and
        # identical inputs to the pooled row's when the suite has one SR task (computed once)
        cem = pooled_rank_correlation(frame, "diffusion_index", "psnr_gain")
        cem_common = pooled_rank_correlation(both, "diffusion_index", "psnr_gain")
        lam = pooled_rank_correlation(both, "lam_di", "psnr_gain")
        enough = lam.n >= MIN_CORRELATED and lam.defined and cem_common.defined
        verdicts = (sign_verdict(lam.low, lam.high), sign_verdict(cem_common.low, cem_common.high)) if enough else None
        agree = agreement(*verdicts) if verdicts else f"too few models (< {MIN_CORRELATED})"
        rows.append((scope, str(cem.n), cem.text(), str(lam.n), lam.text(),
                     f"{verdicts[0]} / {verdicts[1]}" if verdicts else "–", agree))
    return tuple(rows)


def _depth_rows(units: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    rows = []
    for model in DEPTH_FAMILY:
        data = units[(units["model"] == model) & (units["task"] == DEPTH_TASK)]
        if not len(data):
            rows.append((model, "0", "no results", "–", "–", "–"))
            continue
        rows.append((model, str(len(data)), bootstrap_mean(data["nonzero"]).text(1),
                     bootstrap_mean(data["psnr_gain"]).text(2), cell(data["diffusion_index"].mean(), 1),
                     cell(data["lam_di"].mean(), 1)))
    return tuple(rows)


def analyse(units: pd.DataFrame) -> Finding:
    """Finding 1's statistics, tables and verdict from the suite's unit table."""
    data = sr_units(units)
    negative = bootstrap_mean(data["negative_fraction"].to_numpy(float))
    means = model_means(units)
    correlation = pooled_rank_correlation(means, "diffusion_index", "psnr_gain")
    per_task_negative = [(task, bootstrap_mean(group["negative_fraction"].to_numpy(float)))
                         for task, group in data.groupby("task")]
    tables = (
        Table("(a) Share of non-zero blocks that are negative, trained SR models' units (95% CI over units).",
              ("scope", "units", "negative fraction"),
              (("all SR tasks (the test)", str(negative.n), negative.text(3)),
               *((task, str(est.n), est.text(3)) for task, est in per_task_negative))),
        Table("(b) Spearman's rho of mean diffusion index with mean ROI PSNR gain, 95% CI over models. The pooled "
              "row is the test; LAM and CEM verdicts use the models with both indices.",
              ("scope", "models", "rho(CEM DI, gain)", "models with LAM", "rho(LAM DI, gain)",
               "verdict LAM / CEM", "LAM and CEM"), _correlation_rows(means)),
        Table("Per-model means (trained SR models).",
              ("task", "model", "units", "CEM DI", "LAM DI", "gain (dB)", "non-zero blocks", "negative fraction"),
              tuple((row.task, row.model, str(row.units), cell(row.diffusion_index, 1), cell(row.lam_di, 1),
                     cell(row.psnr_gain, 2), cell(row.nonzero, 1), cell(row.negative_fraction, 3))
                    for row in means.itertuples())),
        Table(f"Zoo depth family on {DEPTH_TASK} (descriptive): non-zero blocks and gain, 95% CI over units.",
              ("model", "units", "non-zero blocks", "gain (dB)", "CEM DI", "LAM DI"), _depth_rows(units)),
    )
    return Finding(NUMBER, TITLE, HYPOTHESIS, TEST, verdict(negative, correlation), tables, LIMITS)
