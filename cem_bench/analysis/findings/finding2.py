"""Finding 2: channel attention may be futile for denoising (CEM paper, finding 2).

Pre-registered in docs/findings.md, read as the audit proposes: attention makes the denoiser involve more
input *without* changing how well it denoises. Primary test: an intersection–union of a TOST on the paired
ΔPSNR gain (margin :data:`MARGIN_DB`) and a one-sided test that attention adds significant blocks, over
images. The ×4 SR pair is the contrast; every other member of the RCAN families (window / local pooling)
is described against its no-attention model.
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


class Pair(NamedTuple):
    """One attention family on one task: with channel attention, without, and the name prefix of its members."""

    label: str
    task: str
    ca: str
    noca: str
    prefix: str


NUMBER = 2
TITLE = "Channel attention is futile for denoising"
HYPOTHESIS = ("Global-receptive-field mechanisms such as channel attention may be futile for denoising: attention "
              "makes a denoiser involve more of the input without making it restore the ROI better.")
DN = Pair("DN", "dn-s50", "zoo-dn-rcan-ca", "zoo-dn-rcan-noca", "zoo-dn-rcan-")
SR = Pair("SR", "sr-x4", "zoo-sr-rcan-ca", "zoo-sr-rcan-noca", "zoo-sr-rcan-")
# Descriptive only (added 2026-11-30, before any of its results existed): BSRN-S fine-tuned with and without
# its channel attention from the same published weights (docs/zoo.md, pair bsrn-sr).
SR_BSRN = Pair("SR (BSRN)", "sr-x4", "zoo-sr-bsrn-ca", "zoo-sr-bsrn-noca", "zoo-sr-bsrn-")
FAMILIES = (DN, SR, SR_BSRN)
MARGIN_DB = 0.10  # equivalence margin of the gain difference: below it a PSNR difference is negligible
TEST = (
    f"Paired over (image, ROI) units of {DN.task}: Δgain = psnr_gain({DN.ca}) − psnr_gain({DN.noca}) and "
    "Δnz = significant non-zero blocks (BH, q = 5%) of ca minus noca, averaged per image. (A) TOST on Δgain with "
    f"margin ±{MARGIN_DB:.2f} dB; (B) one-sided test of Δnz > 0. Primary test: intersection–union, p = max(p_A, "
    "p_B), studentized cluster bootstrap over images. *Supported* when its Holm-adjusted p ≤ 0.05 (attention adds "
    "input without changing denoising by the margin); *not supported* when Δgain's 95% interval lies entirely "
    f"beyond ±{MARGIN_DB:.2f} dB or Δnz's entirely below 0; otherwise, with a model left out or fewer than 10 "
    f"images, *inconclusive*. The same differences for {SR.ca} − {SR.noca} on {SR.task} are the contrast, and "
    "every other member of the two RCAN families (window or local pooling) minus its noca model is described, as "
    f"is the fine-tuned BSRN family ({SR_BSRN.prefix}*) on {SR_BSRN.task}."
)
LIMITS = ("Small RCAN-style zoo models (0.18–0.25 M parameters) trained identically on CPU (same data, seed and "
          "iterations; docs/zoo.md gives their training and quality): at this size attention may be under-used, "
          "which would understate its effect, and a null difference here does not refute the paper.")


def members(units: pd.DataFrame, pair: Pair) -> list[str]:
    """The family's models with results on its task, other than the no-attention one: ca first."""
    names = set(units.loc[(units["task"] == pair.task) & units["model"].str.startswith(pair.prefix), "model"])
    names.discard(pair.noca)
    return sorted(names, key=lambda name: (name != pair.ca, name))


def missing(units: pd.DataFrame, pair: Pair, models: tuple[str, ...]) -> list[str]:
    """Models of ``models`` without any result on the pair's task."""
    return [model for model in models if not len(select(units, model, pair.task))]


def primary(units: pd.DataFrame) -> Primary:
    """The pre-registered primary test of finding 2 (the DN pair)."""
    absent = missing(units, DN, (DN.ca, DN.noca))
    if absent:
        return blocked(f"no {DN.task} result for {', '.join(absent)}")
    ca, noca = select(units, DN.ca, DN.task), select(units, DN.noca, DN.task)
    gain, nonzero = paired_mean(ca, noca, "psnr_gain"), paired_mean(ca, noca, "sig_nonzero")
    if not (gain.enough and nonzero.enough):
        return blocked(f"DN Δgain = {interval_text(gain, 2, ' dB')}", gain.n)
    p_a = max(gain.p_above(-MARGIN_DB), gain.p_below(MARGIN_DB))
    p_b = nonzero.p_above(0.0)
    p = max(p_a, p_b)
    statement = (f"DN Δgain = {interval_text(gain, 2, ' dB')} (TOST ±{MARGIN_DB:.2f} dB: {p_text(p_a)}); DN Δnz = "
                 f"{interval_text(nonzero, 1, ' blocks')} (> 0: {p_text(p_b)}); intersection–union {p_text(p)}")
    power = (f"equivalence provable for margins ≥ {number(gain.equivalence_margin(POWER_ALPHA, POWER))} dB and "
             f"Δnz ≥ {number(nonzero.detectable(POWER_ALPHA, POWER), 1)} blocks detected, with {POWER:.0%} power at "
             f"α = {POWER_ALPHA:.2%}")
    (g_low, g_high), n_high = gain.interval(), nonzero.interval()[1]
    contrary = []
    if g_low > MARGIN_DB or g_high < -MARGIN_DB:
        contrary.append(f"Δgain's 95% interval lies entirely beyond ±{MARGIN_DB:.2f} dB: attention changes denoising")
    if n_high < 0:
        contrary.append("Δnz's 95% interval lies entirely below 0: attention makes the denoiser use less input")
    sensitivity = Sensitivity((
        (f"Δgain within ±{MARGIN_DB:.2f} dB (TOST)",
         max(gain.t_p(-MARGIN_DB, "above"), gain.t_p(MARGIN_DB, "below"))),
        ("Δnz > 0", nonzero.t_p(0.0, "above"))))
    return Primary(p, gain.n, statement, power, "; ".join(contrary) or None, sensitivity=sensitivity)


def _pair_rows(units: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    rows = []
    for pair in FAMILIES:
        names = members(units, pair) or [pair.ca]
        for name in names:
            role = ("test" if pair is DN else "contrast") if name == pair.ca else "descriptive"
            absent = missing(units, pair, (name, pair.noca))
            label = f"{name} − {pair.noca}"
            if absent:
                rows.append((pair.label, label, role, "0", f"no results for {', '.join(absent)}", "–", "–", "–"))
                continue
            a, b = select(units, name, pair.task), select(units, pair.noca, pair.task)
            cells = [Estimate.of(paired_mean(a, b, column)).text(d)
                     for column, d in (("psnr_gain", 2), ("sig_nonzero", 1), ("sig_negative", 1),
                                       ("distant_negative_mass", 3))]
            rows.append((pair.label, label, role, str(paired_mean(a, b, "psnr_gain").n), *cells))
    return tuple(rows)


def _model_rows(units: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    rows = []
    for pair in FAMILIES:
        for name in [pair.noca, *members(units, pair)]:
            data = select(units, name, pair.task)
            if not len(data):
                continue
            rows.append((pair.task, name, str(data["image"].nunique()), estimate(data, "psnr_gain").text(2),
                         estimate(data, "nonzero").text(1), estimate(data, "sig_nonzero").text(1),
                         estimate(data, "sig_effect_range").text(3), radius_summary(data).text()))
    return tuple(rows)


def analyse(units: pd.DataFrame) -> Finding:
    """Finding 2's primary test and tables from the suite's unit table (verdict set after Holm)."""
    tables = (
        Table("Paired differences (member − no attention) per (image, ROI), averaged per image; 95% intervals over "
              "images. The DN channel-attention row is the test, SR the contrast; sig. = significant blocks (BH).",
              ("pair", "difference", "role", "images", "Δgain (dB)", "Δnz (sig.)", "Δnegative (sig.)",
               "Δdistant negative mass (dB)"), _pair_rows(units)),
        Table("Per-model means, 95% intervals over images (radius: median, '≥' where the image edge censors it).",
              ("task", "model", "images", "gain (dB)", "non-zero (raw)", "non-zero (sig.)", "effect range (sig., dB)",
               "causal radius (sig.)"), _model_rows(units)),
    )
    return Finding(NUMBER, TITLE, HYPOTHESIS, TEST, primary(units), tables, LIMITS)
