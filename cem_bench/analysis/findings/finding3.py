"""Finding 3: multi-task training pushes a model to local information (CEM paper, finding 3).

Pre-registered (docs/findings.md): the zoo's all-in-one model against the same backbone trained on each
task alone, paired over (task, image, ROI) units pooled over its tasks. Verdict by :func:`verdict`.
"""

from __future__ import annotations

import pandas as pd

from cem_bench.analysis.findings.data import select
from cem_bench.analysis.findings.stats import (
    MIN_PAIRED,
    NO_ESTIMATE,
    Estimate,
    Finding,
    Table,
    Verdict,
    bootstrap_mean,
    interval_text,
    paired_difference,
)

NUMBER = 3
TITLE = "Multi-task training pushes to local information"
HYPOTHESIS = ("Training one model on several tasks pushes it to rely on local information: mixed-task models show "
              "fewer non-zero blocks and a narrower effect range than the same architecture trained on a single task.")
ALL = "zoo-mt-all"
# task label -> single-task model: the zoo's `multitask` family (docs/zoo.md). Its x4-SR member (zoo-mt-sr)
# never passed the zoo's acceptance rule and zoo-mt-all is a DN + DR mix, so the test pools these two tasks.
SINGLE = {"dn-s50": "zoo-mt-dn", "dr": "zoo-mt-dr"}
KEYS = ("task", "unit")  # pairing: the same task, image and ROI
TEST = (
    f"{ALL} against the single-task model of each task ({', '.join(f'{m} on {t}' for t, m in SINGLE.items())}), "
    f"paired over (task, image, ROI) units pooled over the {len(SINGLE)} tasks: Δnz = nonzero(all) − "
    "nonzero(single), "
    "nonzero = positive + negative blocks, and Δrange = effect_range(all) − effect_range(single); 95% "
    "percentile-bootstrap CIs over the pooled units. Verdict: *supported* if both CIs' upper bounds are below 0; "
    "*not supported* if either CI's lower bound is above 0; otherwise *inconclusive*, and also when a model has no "
    f"result on its task or fewer than {MIN_PAIRED} units pair up. Each task is also reported on its own "
    "(descriptive)."
)
LIMITS = (f"Small, briefly CPU-trained zoo backbone; the mixed model sees each task 1/{len(SINGLE)} as often as a "
          "single-task model does, so part of a difference may be less training per task; no SR member (docs/zoo.md); "
          "three units per task in the quick suite.")


def pairs(units: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(all-in-one units, single-task units) over the family's tasks, each with ``task`` and ``unit`` keys."""
    mixed = pd.concat([select(units, ALL, task) for task in SINGLE]) if len(units) else units
    single = pd.concat([select(units, model, task) for task, model in SINGLE.items()]) if len(units) else units
    return mixed, single


def missing(units: pd.DataFrame) -> list[str]:
    """``model on task`` for every needed (model, task) without results."""
    needed = [(ALL, task) for task in SINGLE] + [(model, task) for task, model in SINGLE.items()]
    return [f"{model} on {task}" for model, task in needed if not len(select(units, model, task))]


def verdict(nonzero: Estimate, spread: Estimate, absent: list[str] | None = None) -> Verdict:
    """The pre-registered rule on the pooled paired Δnz and Δrange.

    >>> verdict(Estimate(-3.0, -5.0, -1.0, 9), Estimate(-0.2, -0.3, -0.1, 9)).verdict
    'supported'
    >>> verdict(Estimate(-3.0, -5.0, -1.0, 9), Estimate(0.2, 0.1, 0.3, 9)).verdict
    'not supported'
    >>> verdict(Estimate(-3.0, -5.0, 1.0, 9), Estimate(-0.2, -0.3, -0.1, 9)).verdict
    'inconclusive'
    """
    if absent:
        return Verdict("inconclusive", f"no results for {', '.join(absent)}")
    if nonzero.n < MIN_PAIRED or not (nonzero.defined and spread.defined):
        return Verdict("inconclusive", f"too few paired units ({nonzero.n}, need {MIN_PAIRED})")
    nz = f"Δnz = {interval_text(nonzero, 1, ' blocks')}"
    rg = f"Δrange = {interval_text(spread, 3, ' dB')}"
    if nonzero.high < 0 and spread.high < 0:
        return Verdict("supported", f"{nz} and {rg}: both upper bounds are below 0")
    if nonzero.low > 0 or spread.low > 0:
        which = [text for text, est in ((nz, nonzero), (rg, spread)) if est.low > 0]
        return Verdict("not supported", f"{' and '.join(which)}: lower bound above 0, the mixed model uses more or "
                                        "wider input")
    return Verdict("inconclusive", f"{nz} and {rg}: not both CIs lie below 0")


def _delta_rows(units: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    mixed, single = pairs(units)
    rows = []
    for scope, a, b in [("pooled (the test)", mixed, single)] + [
            (task, select(units, ALL, task), select(units, model, task)) for task, model in SINGLE.items()]:
        if not len(a) or not len(b):
            rows.append((scope, "0", "–", "–"))
            continue
        nonzero, spread = paired_difference(a, b, "nonzero", KEYS), paired_difference(a, b, "effect_range", KEYS)
        rows.append((scope, str(nonzero.n), nonzero.text(1), spread.text(3)))
    return tuple(rows)


def _model_rows(units: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    rows = []
    for task, model in SINGLE.items():
        for name in (model, ALL):
            data = select(units, name, task)
            rows.append((task, name, str(len(data)), bootstrap_mean(data["nonzero"]).text(1),
                         bootstrap_mean(data["effect_range"]).text(3), bootstrap_mean(data["psnr_gain"]).text(2)))
    return tuple(rows)


def analyse(units: pd.DataFrame) -> Finding:
    """Finding 3's statistics, tables and verdict from the suite's unit table."""
    absent = missing(units)
    mixed, single = pairs(units)
    nonzero, spread = (NO_ESTIMATE, NO_ESTIMATE) if absent else \
        (paired_difference(mixed, single, "nonzero", KEYS), paired_difference(mixed, single, "effect_range", KEYS))
    tables = (
        Table(f"Paired differences {ALL} − single-task model, 95% CI over (task, image, ROI) units.",
              ("scope", "units", "Δnz (blocks)", "Δrange (dB)"), _delta_rows(units)),
        Table("Per-model means, 95% CI over units.",
              ("task", "model", "units", "non-zero blocks", "effect range (dB)", "gain (dB)"), _model_rows(units)),
    )
    return Finding(NUMBER, TITLE, HYPOTHESIS, TEST, verdict(nonzero, spread, absent), tables, LIMITS)
