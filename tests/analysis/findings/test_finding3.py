"""Finding 3's pre-registered rule on hand-made multi-task results."""

from pathlib import Path

import pytest
import yaml
from handmade_results import make_model_result, unit_rows, write_results

from cem_bench.analysis.findings import finding3, load_units

ZOO = Path(__file__).resolve().parents[3] / "model_registry" / "zoo" / "configs"


def analyse(tmp_path, nz_all, range_all, skip=()):
    records = []
    for task, single in finding3.SINGLE.items():
        if single not in skip:
            records.append(make_model_result(single, task, unit_rows(positive=2, negative=1,
                                                                     effect_range=[1.0, 1.2, 0.8])))
        records.append(make_model_result(finding3.ALL, task, unit_rows(positive=nz_all, negative=0,
                                                                       effect_range=range_all), multi_task=True))
    write_results(tmp_path, records)
    return finding3.analyse(load_units(tmp_path, "tiny"))


def test_supported_when_the_mixed_model_is_more_local(tmp_path):
    result = analyse(tmp_path, [1, 2, 1], [0.5, 0.6, 0.4])
    assert result.verdict.verdict == "supported", result.verdict.reason
    pooled = result.tables[0].rows[0]
    assert pooled[:2] == ("pooled (the test)", str(3 * len(finding3.SINGLE))) and pooled[2].startswith("-1.7 [")
    assert [row[0] for row in result.tables[0].rows[1:]] == list(finding3.SINGLE)


def test_not_supported_when_either_difference_is_positive(tmp_path):
    result = analyse(tmp_path, [1, 2, 1], [1.5, 1.6, 1.4])  # fewer blocks but a wider range
    assert result.verdict.verdict == "not supported"
    assert "Δrange" in result.verdict.reason


@pytest.mark.parametrize("nz_all, range_all, skip, reason", [
    ([1, 4, 3], [0.5, 0.6, 0.4], (), "not both CIs"),  # Δnz CI reaches above 0
    ([1, 2, 1], [0.5, 0.6, 0.4], ("zoo-mt-dr",), "zoo-mt-dr on dr"),  # a single-task model is missing
])
def test_inconclusive(tmp_path, nz_all, range_all, skip, reason):
    result = analyse(tmp_path, nz_all, range_all, skip)
    assert result.verdict.verdict == "inconclusive"
    assert reason in result.verdict.reason


def test_the_pairs_are_the_zoo_multitask_family():
    configs = [yaml.safe_load(path.read_text()) for path in ZOO.glob("*.yaml")]
    family = {config["name"]: config for config in configs if config["pair"] == "multitask"}
    assert set(family) == {finding3.ALL, *finding3.SINGLE.values()}
    labels = {"dn": "dn-s50", "dr": "dr", "sr": "sr-x4"}
    assert {labels[entry["task"]] for entry in family[finding3.ALL]["tasks"]} == set(finding3.SINGLE)
    for task, model in finding3.SINGLE.items():
        assert [labels[entry["task"]] for entry in family[model]["tasks"]] == [task]
