"""The findings' shared statistics: paired differences per image, Holm, verdict decisions, table cells."""

import numpy as np
import pandas as pd
import pytest

from cem_bench.analysis.cluster import ImageMean
from cem_bench.analysis.findings.stats import (
    ALPHA,
    Estimate,
    Primary,
    Verdict,
    blocked,
    decide,
    holm,
    paired_frame,
    paired_mean,
)
from cem_bench.core.errors import CemBenchError


def units(values, images=None, task="t"):
    images = images or [f"i{k}" for k in range(len(values))]
    return pd.DataFrame({"task": task, "unit": [f"{im}@{k}" for k, im in enumerate(images)], "image": images,
                         "m": values})


def test_pairs_match_on_task_and_unit_not_on_row_order():
    a = units([1.0, 3.0, 5.0])
    b = units([0.0, 1.0, np.nan]).iloc[::-1]
    assert paired_frame(a, b, "m")["diff"].tolist() == [1.0, 2.0]  # the undefined pair is left out
    other_task = units([0.0, 0.0, 0.0], task="u")
    assert not len(paired_frame(a, other_task, "m"))


def test_units_of_different_protocols_are_never_paired():
    a, b = units([1.0, 3.0]).assign(protocol="p1"), units([0.0, 1.0]).assign(protocol="p2")
    with pytest.raises(CemBenchError, match="different protocols"):
        paired_frame(a, b, "m")
    assert paired_frame(a, b.assign(protocol="p1"), "m")["diff"].tolist() == [1.0, 2.0]


def test_paired_differences_are_averaged_per_image_first():
    # two ROIs per image: the image means (1, 3, ...) are the sample, not the 2n unit differences
    images = [f"i{k // 2:02d}" for k in range(26)]
    a = units([float(k % 2 * 2 + k // 2) for k in range(26)], images)
    b = units([0.0] * 26, images)
    mean = paired_mean(a, b, "m")
    assert mean.n == 13
    assert mean.values.tolist() == [1.0 + i for i in range(13)]


def test_holm_adjusts_across_three_findings():
    assert holm([0.01, 0.04, 0.03]) == [0.03, 0.06, 0.06]
    assert holm([0.02]) == [0.06]  # m is always three
    assert holm([0.001, float("nan"), 0.2]) == [0.003, 1.0, 0.4]


def test_decide_uses_the_holm_adjusted_p():
    primary = Primary(0.03, 13, "effect 1.0, 95% CI [0.1, 2.0], n = 13 images", "0.5 detected")
    assert decide(primary, 0.03).verdict == "supported"
    assert decide(primary, holm([0.03, 0.5, 0.9])[0]).verdict == "inconclusive"  # 0.09 after Holm
    contrary = Primary(0.9, 13, "effect −1.0", "0.5", contrary="interval entirely below 0")
    assert decide(contrary, 1.0) == Verdict("not supported", "interval entirely below 0; effect −1.0")
    assert decide(blocked("no results for zoo-mt-dr on dr"), 0.0).verdict == "inconclusive"


def test_cells_give_no_interval_below_ten_images():
    assert Estimate.of(ImageMean(np.arange(3.0))).text() == "1.00 (n too small)"
    cell = Estimate.of(ImageMean(np.arange(13.0))).text(1)
    assert cell.startswith("6.0 [") and cell.endswith("]")
    assert ALPHA == 0.05


def test_verdicts_are_one_of_three():
    assert Verdict("inconclusive", "why").verdict == "inconclusive"
    with pytest.raises(ValueError):
        Verdict("likely", "hand-written")


def test_the_sensitivity_goes_through_the_same_holm_step_and_says_what_it_would_decide(monkeypatch):
    """A verdict that passes on the bootstrap-t but not on Student's t after Holm must say so (outside review:
    finding 3's t p = 0.018 is 0.054 after Holm, and the report showed only 0.018)."""
    from cem_bench.analysis import findings
    from cem_bench.analysis.findings.stats import Finding, Primary, Sensitivity

    def fake(number: int, p: float, t: float):
        primary = Primary(p, 13, "s", "w", sensitivity=Sensitivity((("a", t), ("b", t / 2))))
        return lambda *args: Finding(number, "t", "h", "x", primary)

    for number, (p, t) in enumerate([(0.5, 0.5), (0.9, 0.9), (0.01, 0.018)], start=1):
        monkeypatch.setattr(getattr(findings, f"finding{number}"), "analyse", fake(number, p, t))
    third = findings.analyse_all(pd.DataFrame())[2]
    assert third.holm_p == pytest.approx(0.03) and third.sensitivity_holm_p == pytest.approx(0.054)
    assert third.primary.sensitivity.text(third.sensitivity_holm_p).endswith(
        "Holm-adjusted across the three findings p = 0.054, above 0.05: on Student's t this test would not pass")
