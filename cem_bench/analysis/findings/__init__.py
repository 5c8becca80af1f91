"""The CEM paper's three findings as pre-registered, computed tests on a suite's result files.

>>> from cem_bench.analysis.findings import VERDICTS
>>> VERDICTS
('supported', 'not supported', 'inconclusive')
"""

from __future__ import annotations

import pandas as pd

from cem_bench.analysis.findings import finding1, finding2, finding3
from cem_bench.analysis.findings.data import load_units, newest_date, trained
from cem_bench.analysis.findings.stats import VERDICTS, Estimate, Finding, Table, Verdict, bootstrap_mean, paired_difference

FINDINGS = (finding1, finding2, finding3)


def analyse_all(units: pd.DataFrame) -> list[Finding]:
    """The three findings, in order, from a unit table (:func:`load_units`)."""
    return [module.analyse(units) for module in FINDINGS]


__all__ = ["FINDINGS", "Estimate", "Finding", "Table", "VERDICTS", "Verdict", "analyse_all", "bootstrap_mean",
           "finding1", "finding2", "finding3", "load_units", "newest_date", "paired_difference", "trained"]
