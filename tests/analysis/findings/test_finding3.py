"""Finding 3's pre-registered rule (fewer significant blocks and a narrower range) on hand-made multi-task results."""

from pathlib import Path

import pytest
import yaml
from handmade_results import effect_map, image_grid, map_result, map_unit, write_results

from cem_bench.analysis.findings import analyse_all, finding3, load_units

ZOO = Path(__file__).resolve().parents[3] / "model_registry" / "zoo" / "configs"


def records(all_blocks, all_effect, skip=(), sr: bool = False) -> list[dict]:
    """Single-task models: 2 significant blocks of 0.4 dB (and one of −0.2); the mixed model: ``all_blocks(i)``
    blocks of ``all_effect(i)`` dB (and the same −0.2), per image i."""
    tasks = {**finding3.SINGLE, **(finding3.OPTIONAL if sr else {})}
    out = []
    for task, single in tasks.items():
        for model, blocks, effect in ((single, lambda i: 2, lambda i: 0.4), (finding3.ALL, all_blocks, all_effect)):
            if model in skip:
                continue
            units = [map_unit(model, task, name, roi, 2.0, effect_map(roi, effect(i), blocks(i), -0.2, 1))
                     for i, name, _, roi in image_grid()]
            out.append(map_result(model, task, units, multi_task=model == finding3.ALL))
    return out


def analyse(tmp_path, *args, **kwargs):
    write_results(tmp_path, records(*args, **kwargs))
    return analyse_all(load_units(tmp_path, "tiny"))[2]


def test_supported_when_the_mixed_model_is_more_local(tmp_path):
    result = analyse(tmp_path, lambda i: 1 + i % 2, lambda i: 0.2 + 0.01 * (i % 3))
    assert result.verdict.verdict == "supported", result.verdict.reason
    assert "n = 13 images" in result.verdict.reason
    pooled = result.tables[0].rows[0]
    assert pooled[:2] == ("pooled (the test)", "13") and pooled[2].startswith("-0.5 [")
    assert [row[0] for row in result.tables[0].rows[1:]] == list(finding3.SINGLE)


def test_not_supported_when_the_mixed_model_has_a_wider_range(tmp_path):
    result = analyse(tmp_path, lambda i: 1 + i % 2, lambda i: 0.8 + 0.01 * (i % 3))  # fewer blocks, wider range
    assert result.verdict.verdict == "not supported", result.verdict.reason
    assert "Δrange" in result.verdict.reason


@pytest.mark.parametrize("blocks, skip, reason", [
    (lambda i: 1 + 2 * (i % 2), (), "contrary condition does not hold"),  # Δnz −1 or +1: no reliable reduction
    (lambda i: 1, ("zoo-mt-dr",), "zoo-mt-dr on dr"),  # a required single-task model is missing
])
def test_inconclusive(tmp_path, blocks, skip, reason):
    result = analyse(tmp_path, blocks, lambda i: 0.2 + 0.01 * (i % 3), skip)
    assert result.verdict.verdict == "inconclusive"
    assert reason in result.verdict.reason


def test_the_sr_member_enters_when_both_have_sr_results(tmp_path):
    write_results(tmp_path, records(lambda i: 1, lambda i: 0.2, sr=True))
    units = load_units(tmp_path, "tiny")
    assert list(finding3.tasks(units)) == [*finding3.SINGLE, *finding3.OPTIONAL]


def test_the_pairs_are_the_zoo_multitask_family():
    configs = [yaml.safe_load(path.read_text()) for path in ZOO.glob("*.yaml")]
    family = {config["name"]: config for config in configs if config["pair"] == "multitask"}
    assert {finding3.ALL, *finding3.SINGLE.values()} <= set(family) <= {finding3.ALL, *finding3.SINGLE.values(),
                                                                         *finding3.OPTIONAL.values()}
    labels = {"dn": "dn-s50", "dr": "dr", "sr": "sr-x4"}
    assert set(finding3.SINGLE) <= {labels[entry["task"]] for entry in family[finding3.ALL]["tasks"]}
    for task, model in {**finding3.SINGLE, **finding3.OPTIONAL}.items():
        if model in family:
            assert [labels[entry["task"]] for entry in family[model]["tasks"]] == [task]
