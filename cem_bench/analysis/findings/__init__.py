"""The CEM paper's three findings as pre-registered, computed tests on a suite's result files (docs/findings.md).

Each finding module computes its primary test and tables; :func:`analyse_all` applies Holm's correction
across the three primary p-values and sets the verdicts. Verdicts come from the standard suite only
(:data:`VERDICT_SUITE`); for any other suite the report shows the tables without them.

>>> from cem_bench.analysis.findings import VERDICTS
>>> VERDICTS
('supported', 'not supported', 'inconclusive')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pandas as pd

from cem_bench.analysis.findings import finding1, finding2, finding3
from cem_bench.analysis.findings.data import load_units, newest_date, trained
from cem_bench.analysis.findings.stats import VERDICTS, Estimate, Finding, Primary, Table, Verdict, decide, holm

FINDINGS = (finding1, finding2, finding3)
VERDICT_SUITE = "standard"  # the only suite whose report gives verdicts
# The CI smoke suites: rescored whole in CI, reported as "not for citation, no verdicts" (docs/pipeline.md).
# quick-x3 holds x3 SR, which quick cannot: one protocol per suite, and quick's 8-px block does not divide by 3.
SMOKE_SUITES = ("quick", "quick-x3")


def analyse_all(units: pd.DataFrame, verdicts: bool = True,
                planned: Iterable[tuple[str, str]] | None = None) -> list[Finding]:
    """The three findings, in order, from a unit table (:func:`load_units`); with ``verdicts``, each carries
    its verdict from its Holm-adjusted primary p-value. ``planned``: the suite's trained single-task
    (model, task) results (``pipeline.plan.planned_results(suite, trained_single_task=True)``), which
    finding 1 pools; findings 2 and 3 name their models."""
    findings = [finding1.analyse(units, planned), finding2.analyse(units), finding3.analyse(units)]
    if not verdicts:
        return findings
    adjusted = holm([finding.primary.p for finding in findings])
    # The sensitivity's p-values go through the same Holm step, so a reader sees whether the verdict
    # depends on the choice of test (a blocked test counts as p = 1, as in the primary step).
    t_adjusted = holm([finding.primary.sensitivity.p if finding.primary.sensitivity else float("nan")
                       for finding in findings])
    return [replace(finding, verdict=decide(finding.primary, p), holm_p=p, sensitivity_holm_p=t)
            for finding, p, t in zip(findings, adjusted, t_adjusted)]


__all__ = ["FINDINGS", "SMOKE_SUITES", "VERDICTS", "VERDICT_SUITE", "Estimate", "Finding", "Primary", "Table", "Verdict",
           "analyse_all", "finding1", "finding2", "finding3", "load_units", "newest_date", "trained"]
