"""The plan's result-level views: what a report lists as left out, and what finding 1 pools."""

from __future__ import annotations

from cem_bench.models import get_card
from cem_bench.models.task_fit import is_multi_task
from cem_bench.pipeline.plan import planned_results
from cem_bench.pipeline.suites import load_suite


def test_trained_single_task_results_leave_out_analytic_and_multi_task_models():
    suite = load_suite("standard")
    everything = planned_results(suite)
    trained = planned_results(suite, trained_single_task=True)
    assert trained < everything
    dropped = {model for model, _ in everything - trained}
    assert {"bicubic-x4", "identity", "zoo-mt-all"} <= dropped
    assert all(get_card(model).analytic or is_multi_task(get_card(model)) for model in dropped)
    assert {("fsrcnn-x4", "sr-x4"), ("zoo-mt-dn", "dn-s50"), ("zoo-sr-bsrn-ca", "sr-x4")} <= trained
