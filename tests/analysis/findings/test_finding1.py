"""Finding 1's pre-registered rule on hand-made SR results."""

from pathlib import Path

import pytest
import yaml
from handmade_results import make_model_result, unit_rows, write_results

from cem_bench.analysis.findings import finding1, load_units

ZOO = Path(__file__).resolve().parents[3] / "model_registry" / "zoo" / "configs"

SR_MODELS = ["fsrcnn-x4", "carn-m-x4", "imdn-x4", "pan-x4", "zoo-sr-swinir"]


def analyse(tmp_path, records):
    write_results(tmp_path, records)
    return finding1.analyse(load_units(tmp_path, "tiny"))


def family(di_slope: float, negative_fraction, models=SR_MODELS, task="sr-x4"):
    """One result per model: gain rises with the model index, DI rises (slope > 0) or falls with it."""
    return [make_model_result(model, task, unit_rows(psnr_gain=[1.0 + k, 1.1 + k, 0.9 + k],
                                                     diffusion_index=50 + di_slope * k, lam_di=10.0 + k,
                                                     negative_fraction=negative_fraction))
            for k, model in enumerate(models)]


def test_supported_negative_effects_and_no_positive_correlation(tmp_path):
    # an analytic model with a huge DI and gain would make the correlation positive if it were counted
    bicubic = make_model_result("bicubic-x4", "sr-x4", unit_rows(psnr_gain=99.0, diffusion_index=99.0,
                                                                  negative_fraction=0.0))
    result = analyse(tmp_path, family(-2.0, [0.2, 0.3, 0.4]) + [bicubic])
    assert result.verdict.verdict == "supported", result.verdict.reason
    correlation = dict((row[0], row) for row in result.tables[1].rows)["pooled (within-task ranks)"]
    assert correlation[1] == "5"  # five trained models, the analytic one left out
    assert correlation[-1] == "disagree"  # LAM DI rises with gain, CEM DI falls
    assert result.tables[0].rows[0][1] == "15"


def test_not_supported_when_more_input_reliably_goes_with_more_gain(tmp_path):
    result = analyse(tmp_path, family(+2.0, [0.2, 0.3, 0.4]))
    assert result.verdict.verdict == "not supported"
    assert "entirely above 0" in result.verdict.reason


@pytest.mark.parametrize("models, fraction, reason", [
    (SR_MODELS[:3], [0.2, 0.3, 0.4], "too few trained SR models"),  # 3 models: no correlation
    (SR_MODELS, 0.0, "not reliably present"),  # no negative effects at all
])
def test_inconclusive(tmp_path, models, fraction, reason):
    result = analyse(tmp_path, family(-2.0, fraction, models))
    assert result.verdict.verdict == "inconclusive"
    assert reason in result.verdict.reason


def test_tasks_are_pooled_by_within_task_ranks(tmp_path):
    records = family(-2.0, 0.3, ["carn-m-x2", "imdn-x2"], "sr-x2") + family(-2.0, 0.3, SR_MODELS[:2])
    result = analyse(tmp_path, records)
    assert result.verdict.verdict == "supported"  # 4 pooled points reach the floor; rho = -1
    assert "n = 4" in result.verdict.reason


def test_depth_family_is_described_and_missing_members_named(tmp_path):
    result = analyse(tmp_path, family(-2.0, 0.3))
    depth = {row[0]: row for row in result.tables[3].rows}
    assert list(depth) == list(finding1.DEPTH_FAMILY)
    assert depth["zoo-sr-msrresnet-b2"][2] == "no results"
    assert depth["zoo-sr-swinir"][1] == "3" and depth["zoo-sr-swinir"][2] == "3.0"


def test_the_depth_family_is_the_zoo_depth_sr_pair():
    configs = [yaml.safe_load(path.read_text()) for path in ZOO.glob("*.yaml")]
    assert {c["name"] for c in configs if c["pair"] == "depth-sr"} == set(finding1.DEPTH_FAMILY)
