"""Finding 2: channel attention may be futile for denoising (CEM paper, finding 2).

Pre-registered (docs/findings.md): the RCAN-style zoo denoiser with global channel attention against the
same network without it, paired over (image, ROI) units; the ×4 SR pair is reported beside it as the
contrast and the 8×8-window variants descriptively. The verdict is computed by :func:`verdict`.
"""

from __future__ import annotations

from typing import NamedTuple

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


class Pair(NamedTuple):
    """One attention family on one task: with channel attention, without, and with window attention."""

    label: str
    task: str
    ca: str
    noca: str
    win8: str


NUMBER = 2
TITLE = "Channel attention is futile for denoising"
HYPOTHESIS = ("Global-receptive-field mechanisms such as channel attention may be futile for denoising: a denoiser "
              "with channel attention does not use (or benefit from) distant input in the way SR models do.")
DN = Pair("DN", "dn-s50", "zoo-dn-rcan-ca", "zoo-dn-rcan-noca", "zoo-dn-rcan-win8")
SR = Pair("SR", "sr-x4", "zoo-sr-rcan-ca", "zoo-sr-rcan-noca", "zoo-sr-rcan-win8")
MEANINGFUL_GAIN_DB = 0.1  # a smaller mean PSNR difference is no meaningful restoration gain
TEST = (
    f"Paired over (image, ROI) units: Δgain = psnr_gain({DN.ca}) − psnr_gain({DN.noca}) on {DN.task}, and "
    f"Δnz = nonzero(ca) − nonzero(noca), nonzero = positive + negative blocks; 95% percentile-bootstrap CIs "
    f"over the paired units. Verdict: *supported* if DN Δgain's CI upper bound is below {MEANINGFUL_GAIN_DB} dB "
    f"(attention brings no meaningful denoising gain) and DN Δnz's CI lower bound is at most 0 (its CI lies at or "
    f"below 0 or includes 0: attention does not make the denoiser use more input); *not supported* if DN Δgain's "
    f"CI lower bound is above {MEANINGFUL_GAIN_DB} dB (attention clearly helps denoising); otherwise, or with "
    f"fewer than {MIN_PAIRED} paired units or a missing model, *inconclusive*. The same statistics for "
    f"{SR.ca} vs {SR.noca} on {SR.task} are reported beside it as the contrast (not part of the verdict), and for "
    f"the 8×8-window members ({DN.win8}, {SR.win8}, vs no attention) descriptively."
)
LIMITS = ("Small RCAN-style zoo models trained for 600–1,000 iterations on CPU (attention may be under-trained, "
          "which would understate its effect); the quick suite has three (image, ROI) units per model.")


def compare(units: pd.DataFrame, pair: Pair, member: str) -> dict[str, Estimate]:
    """Paired Δgain and Δnz of ``member`` (``ca`` or ``win8``) minus no attention, on the pair's task."""
    a, b = select(units, getattr(pair, member), pair.task), select(units, pair.noca, pair.task)
    return {"gain": paired_difference(a, b, "psnr_gain"), "nonzero": paired_difference(a, b, "nonzero"),
            "effect_range": paired_difference(a, b, "effect_range")}


def missing(units: pd.DataFrame, pair: Pair, members: tuple[str, ...] = ("ca", "noca")) -> list[str]:
    """Models of ``pair`` without any result on its task."""
    return [getattr(pair, m) for m in members if not len(select(units, getattr(pair, m), pair.task))]


def verdict(gain: Estimate, nonzero: Estimate, absent: list[str] | None = None) -> Verdict:
    """The pre-registered rule on the DN pair's paired Δgain and Δnz.

    >>> verdict(Estimate(0.01, -0.05, 0.06, 3), Estimate(-2.0, -5.0, 1.0, 3)).verdict
    'supported'
    >>> verdict(Estimate(0.5, 0.3, 0.7, 3), Estimate(0.0, 0.0, 0.0, 3)).verdict
    'not supported'
    >>> verdict(Estimate(0.1, 0.0, 0.2, 3), Estimate(0.0, 0.0, 0.0, 3)).verdict
    'inconclusive'
    """
    if absent:
        return Verdict("inconclusive", f"no {DN.task} results for {', '.join(absent)}")
    if gain.n < MIN_PAIRED or not gain.defined or not nonzero.defined:
        return Verdict("inconclusive", f"too few paired {DN.task} units ({gain.n}, need {MIN_PAIRED})")
    g = f"DN Δgain = {interval_text(gain, unit=' dB')}"
    nz = f"DN Δnz = {interval_text(nonzero, 1, ' blocks')}"
    if gain.low > MEANINGFUL_GAIN_DB:
        return Verdict("not supported", f"{g}: its lower bound exceeds {MEANINGFUL_GAIN_DB} dB, attention clearly "
                                        "helps denoising")
    if gain.high < MEANINGFUL_GAIN_DB and nonzero.low <= 0:
        return Verdict("supported", f"{g}: its upper bound is below {MEANINGFUL_GAIN_DB} dB; {nz}: attention does "
                                    "not make the denoiser use more input")
    if gain.high < MEANINGFUL_GAIN_DB:
        return Verdict("inconclusive", f"{g} shows no meaningful gain, but {nz} lies above 0: attention makes the "
                                       "denoiser use more input")
    return Verdict("inconclusive", f"{g}: the CI straddles {MEANINGFUL_GAIN_DB} dB")


def _pair_rows(units: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    rows = []
    for pair in (DN, SR):
        for member, role in (("ca", "test" if pair is DN else "contrast"), ("win8", "descriptive")):
            absent = missing(units, pair, (member, "noca"))
            if absent:
                rows.append((pair.label, pair.task, f"{getattr(pair, member)} − {pair.noca}", role, "0",
                             f"no results for {', '.join(absent)}", "–", "–"))
                continue
            stats = compare(units, pair, member)
            rows.append((pair.label, pair.task, f"{getattr(pair, member)} − {pair.noca}", role,
                         str(stats["gain"].n), stats["gain"].text(3), stats["nonzero"].text(1),
                         stats["effect_range"].text(3)))
    return tuple(rows)


def contrast(units: pd.DataFrame) -> Estimate:
    """Δnz(SR) − Δnz(DN), paired by (image, ROI) across the two tasks (descriptive)."""
    def delta(pair: Pair) -> pd.DataFrame:
        a, b = select(units, pair.ca, pair.task), select(units, pair.noca, pair.task)
        merged = a[["unit", "nonzero"]].merge(b[["unit", "nonzero"]], on="unit", suffixes=("_a", "_b"))
        return merged.assign(nonzero=merged["nonzero_a"] - merged["nonzero_b"])[["unit", "nonzero"]]

    return paired_difference(delta(SR), delta(DN), "nonzero")


def _model_rows(units: pd.DataFrame) -> tuple[tuple[str, ...], ...]:
    rows = []
    for pair in (DN, SR):
        for model in (pair.ca, pair.noca, pair.win8):
            data = select(units, model, pair.task)
            rows.append((pair.task, model, str(len(data)), bootstrap_mean(data["psnr_gain"]).text(2),
                         bootstrap_mean(data["nonzero"]).text(1), bootstrap_mean(data["effect_range"]).text(3)))
    return tuple(rows)


def analyse(units: pd.DataFrame) -> Finding:
    """Finding 2's statistics, tables and verdict from the suite's unit table."""
    absent = missing(units, DN)
    stats = compare(units, DN, "ca") if not absent else {"gain": NO_ESTIMATE, "nonzero": NO_ESTIMATE}
    did = contrast(units)
    tables = (
        Table("Paired differences (member − no attention), 95% CI over (image, ROI) units. The DN ca row is the "
              "test; SR is the contrast.",
              ("pair", "task", "difference", "role", "units", "Δgain (dB)", "Δnz (blocks)", "Δrange (dB)"),
              _pair_rows(units)),
        Table("Difference of differences (descriptive): Δnz(SR) − Δnz(DN), paired by (image, ROI).",
              ("statistic", "units", "value"), (("Δnz(SR) − Δnz(DN)", str(did.n), did.text(1)),)),
        Table("Per-model means, 95% CI over units.",
              ("task", "model", "units", "gain (dB)", "non-zero blocks", "effect range (dB)"), _model_rows(units)),
    )
    return Finding(NUMBER, TITLE, HYPOTHESIS, TEST, verdict(stats["gain"], stats["nonzero"], absent), tables, LIMITS)
