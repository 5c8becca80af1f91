"""Finding 3: multi-task training pushes a model to local information (CEM paper, finding 3).

Pre-registered in docs/findings.md: the zoo's all-in-one model against the same backbone trained on each
task alone, paired per (task, image, ROI) and averaged per image. Primary test: intersection–union of the
one-sided tests that the mixed model has fewer significant blocks *and* a narrower significant effect range.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from cem_bench.analysis.correlation import number
from cem_bench.analysis.findings.data import select
from cem_bench.analysis.findings.stats import (
    POWER,
    POWER_ALPHA,
    Estimate,
    Finding,
    Primary,
    Sensitivity,
    Table,
    blocked,
    estimate,
    interval_text,
    p_text,
    paired_mean,
)
from cem_bench.analysis.radius import radius_summary

NUMBER = 3
TITLE = "Multi-task training pushes to local information"
HYPOTHESIS = ("Training one model on several tasks pushes it to rely on local information: mixed-task models show "
              "fewer non-zero blocks and a narrower effect range than the same architecture trained on a single task.")
ALL = "zoo-mt-all"
# task label -> single-task model of the zoo's `multitask` family (docs/zoo.md): both required
SINGLE = {"dn-s50": "zoo-mt-dn", "dr": "zoo-mt-dr"}
# the SR member enters when it and the mixed model both have results on its task (the zoo has none yet)
OPTIONAL = {"sr-x4": "zoo-mt-sr"}


class Family(NamedTuple):
    """A mixed model and the same backbone trained on each of its tasks alone (task label -> model)."""

    label: str
    mixed: str
    singles: dict[str, str]


# Descriptive only (amendment 2026-11-30, written before any result of these models existed; docs/findings.md):
# zoo II's three-task model with its SR member, and the same comparison on a backbone with global channel
# attention. Neither enters the primary test.
DESCRIPTIVE = (
    Family("SRResNet, DN+DR+SR", "zoo-mt-all3", {"dn-s50": "zoo-mt-dn", "dr": "zoo-mt-dr", "sr-x4": "zoo-mt-sr"}),
    Family("RCAN with channel attention, DN+DR", "zoo-mtca-all", {"dn-s50": "zoo-mtca-dn", "dr": "zoo-mtca-dr"}),
)
TEST = (
    f"{ALL} against the single-task model of each task ({', '.join(f'{m} on {t}' for t, m in SINGLE.items())}; "
    f"{', '.join(f'{m} on {t}' for t, m in OPTIONAL.items())} when both models have results there), paired per "
    "(task, image, ROI) and averaged per image over tasks and ROIs: Δnz = significant non-zero blocks (BH, q = 5%) "
    "of the mixed model minus the single-task one, Δrange = the same for the significant map's effect range (dB). "
    "Primary test: intersection–union of the one-sided tests Δnz < 0 and Δrange < 0, p = the larger p, studentized "
    "cluster bootstrap over images. *Supported* when its Holm-adjusted p ≤ 0.05; *not supported* when either 95% "
    "interval lies entirely above 0; otherwise, with a required model left out or fewer than 10 images, "
    "*inconclusive*. Each task alone, raw counts and radii are described, and so, outside the test, are "
    + "; ".join(f"{f.mixed} against {', '.join(f.singles.values())}" for f in DESCRIPTIVE) + "."
)
LIMITS = ("Small zoo backbone (0.12 M parameters) trained on CPU; the mixed model trains as many iterations per task "
          "as each single-task model (zoo II's rule, docs/zoo.md), but it still shares its capacity between tasks, "
          "which is part of what the finding is about, not a confound to remove. Read Δnz with the radius column "
          "above: where the significant blocks lie next to the ROI (radius 0), fewer of them is a smaller near "
          "neighbourhood, not a move from distant to local input. The effect range follows restoration strength "
          "(compare the gains), and both parts of the test come from the same significant maps, so they are not "
          "independent evidence; the test's joint power is below either part's.")


def tasks(units: pd.DataFrame) -> dict[str, str]:
    """The tasks the test pools: the required ones, and each optional one where both models have results."""
    extra = {task: model for task, model in OPTIONAL.items()
             if len(select(units, ALL, task)) and len(select(units, model, task))}
    return {**SINGLE, **extra}


def pairs(units: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(all-in-one units, single-task units) over the pooled tasks."""
    used = tasks(units)
    if not len(units):
        return units, units
    return (pd.concat([select(units, ALL, task) for task in used]),
            pd.concat([select(units, model, task) for task, model in used.items()]))


def missing(units: pd.DataFrame) -> list[str]:
    """``model on task`` for every required (model, task) without results."""
    needed = [(ALL, task) for task in SINGLE] + [(model, task) for task, model in SINGLE.items()]
    return [f"{model} on {task}" for model, task in needed if not len(select(units, model, task))]


def primary(units: pd.DataFrame) -> Primary:
    """The pre-registered primary test of finding 3."""
    absent = missing(units)
    if absent:
        return blocked(f"no results for {', '.join(absent)}")
    mixed, single = pairs(units)
    nonzero, spread = paired_mean(mixed, single, "sig_nonzero"), paired_mean(mixed, single, "sig_effect_range")
    if not (nonzero.enough and spread.enough):
        return blocked(f"Δnz = {interval_text(nonzero, 1, ' blocks')}", nonzero.n)
    p_nz, p_range = nonzero.p_below(0.0), spread.p_below(0.0)
    p = max(p_nz, p_range)
    statement = (f"Δnz = {interval_text(nonzero, 1, ' blocks')} (< 0: {p_text(p_nz)}); Δrange = "
                 f"{interval_text(spread, 3, ' dB')} (< 0: {p_text(p_range)}); over {', '.join(tasks(units))}; "
                 f"intersection–union {p_text(p)}")
    power = (f"reductions of {number(nonzero.detectable(POWER_ALPHA, POWER, side='below'), 1)} blocks and "
             f"{number(spread.detectable(POWER_ALPHA, POWER, side='below'), 3)} dB detected with {POWER:.0%} power at "
             f"α = {POWER_ALPHA:.2%}")
    above = [name for name, mean in (("Δnz", nonzero), ("Δrange", spread)) if mean.interval()[0] > 0]
    contrary = (f"{' and '.join(above)}: 95% interval entirely above 0, the mixed model uses more or wider input"
                if above else None)
    sensitivity = Sensitivity((("Δnz < 0", nonzero.t_p(0.0, "below")), ("Δrange < 0", spread.t_p(0.0, "below"))))
    return Primary(p, nonzero.n, statement, power, contrary, sensitivity=sensitivity)


def _delta_cells(a: pd.DataFrame, b: pd.DataFrame) -> tuple[str, ...]:
    """Images and the paired differences a − b (significant and raw counts and ranges); dashes without pairs."""
    if not len(a) or not len(b):
        return ("0", "–", "–", "–", "–")
    cells = [Estimate.of(paired_mean(a, b, column)).text(d) for column, d in
             (("sig_nonzero", 1), ("sig_effect_range", 3), ("nonzero", 1), ("effect_range", 3))]
    return (str(paired_mean(a, b, "sig_nonzero").n), *cells)


def _delta_rows(units: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    used = tasks(units)
    mixed, single = pairs(units) if not missing(units) else (units.iloc[:0], units.iloc[:0])
    scopes = [("pooled (the test)", mixed, single)]
    scopes += [(task, select(units, ALL, task), select(units, model, task)) for task, model in used.items()]
    return tuple((scope, *_delta_cells(a, b)) for scope, a, b in scopes)


def _family_rows(units: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    """The descriptive families: pooled over the tasks where both models have results, then each task."""
    rows = []
    for family in DESCRIPTIVE:
        both = [(task, select(units, family.mixed, task), select(units, model, task))
                for task, model in family.singles.items()]
        both = [(task, a, b) for task, a, b in both if len(a) and len(b)]
        pooled = ((pd.concat([a for _, a, _ in both]), pd.concat([b for _, _, b in both])) if both
                  else (units.iloc[:0], units.iloc[:0]))
        rows.append((family.label, f"pooled ({', '.join(task for task, _, _ in both) or 'no task with both'})",
                     *_delta_cells(*pooled)))
        rows += [(family.label, f"{task}: {family.mixed} − {model}",
                  *_delta_cells(select(units, family.mixed, task), select(units, model, task)))
                 for task, model in family.singles.items()]
    return tuple(rows)


def _model_rows(units: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    shown = [(task, name) for task, model in {**SINGLE, **OPTIONAL}.items() for name in (model, ALL)]
    shown += [(task, name) for family in DESCRIPTIVE for task, model in family.singles.items()
              for name in (model, family.mixed)]
    rows = []
    for task, name in dict.fromkeys(shown):  # in order, each (task, model) once
        data = select(units, name, task)
        if not len(data):
            rows.append((task, name, "0", "no results", "–", "–", "–", "–"))
            continue
        rows.append((task, name, str(data["image"].nunique()), estimate(data, "sig_nonzero").text(1),
                     estimate(data, "nonzero").text(1), estimate(data, "sig_effect_range").text(3),
                     radius_summary(data).text(), estimate(data, "psnr_gain").text(2)))
    return tuple(rows)


def analyse(units: pd.DataFrame) -> Finding:
    """Finding 3's primary test and tables from the suite's unit table (verdict set after Holm)."""
    tables = (
        Table(f"Paired differences {ALL} − single-task model per (task, image, ROI), averaged per image; 95% "
              "intervals over images (sig. = significant map, BH q = 5%).",
              ("scope", "images", "Δnz (sig.)", "Δrange (sig., dB)", "Δnz (raw)", "Δrange (raw, dB)"),
              _delta_rows(units)),
        Table("Per-model means, 95% intervals over images (radius: median, '≥' where the image edge censors it).",
              ("task", "model", "images", "non-zero (sig.)", "non-zero (raw)", "effect range (sig., dB)",
               "causal radius (sig.)", "gain (dB)"), _model_rows(units)),
        Table("Descriptive families, outside the test (amendment 2026-11-30): mixed model − the same backbone "
              "trained on one task, paired per (task, image, ROI), averaged per image; 95% intervals over images.",
              ("family", "scope", "images", "Δnz (sig.)", "Δrange (sig., dB)", "Δnz (raw)", "Δrange (raw, dB)"),
              _family_rows(units)),
    )
    return Finding(NUMBER, TITLE, HYPOTHESIS, TEST, primary(units), tables, LIMITS)
