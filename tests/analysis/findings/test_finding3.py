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


def test_the_descriptive_families_are_described_but_do_not_decide(tmp_path):
    """The zoo II families use *more* input here, yet the verdict is the primary pair's alone."""
    extra = []
    for family in finding3.DESCRIPTIVE:
        for task, single in family.singles.items():
            for model, blocks in ((single, 2), (family.mixed, 3)):
                if model in finding3.SINGLE.values():
                    continue  # the primary family's single-task models are already there
                units = [map_unit(model, task, name, roi, 2.0, effect_map(roi, 0.4, blocks, -0.2, 1))
                         for _, name, _, roi in image_grid()]
                extra.append(map_result(model, task, units, multi_task=model == family.mixed))
    write_results(tmp_path, records(lambda i: 1 + i % 2, lambda i: 0.2 + 0.01 * (i % 3)) + extra)
    result = analyse_all(load_units(tmp_path, "tiny"))[2]
    assert result.verdict.verdict == "supported", result.verdict.reason
    rows = {row[:2]: row[2:] for row in result.tables[2].rows}
    assert rows[("SRResNet, DN+DR+SR", "pooled (dn-s50, dr, sr-x4)")][:2] == ("13", "1.0")
    assert rows[("SRResNet, DN+DR+SR", "sr-x4: zoo-mt-all3 − zoo-mt-sr")][:2] == ("13", "1.0")
    assert rows[("RCAN with channel attention, DN+DR", "dr: zoo-mtca-all − zoo-mtca-dr")][:2] == ("13", "1.0")
    models = [row[:2] for row in result.tables[1].rows]
    assert ("sr-x4", "zoo-mt-all3") in models and len(models) == len(set(models))


def test_a_descriptive_family_without_results_is_one_row_of_dashes(tmp_path):
    result = analyse(tmp_path, lambda i: 1, lambda i: 0.2)
    rows = [row for row in result.tables[2].rows if row[0] == "RCAN with channel attention, DN+DR"]
    assert rows[0][1:4] == ("pooled (no task with both)", "0", "–")
    assert all(row[2] == "0" for row in rows)


def test_the_pairs_are_the_zoo_multitask_family():
    configs = [yaml.safe_load(path.read_text()) for path in ZOO.glob("*.yaml")]
    family = {config["name"]: config for config in configs if config["pair"] == "multitask"}
    described = {name for f in finding3.DESCRIPTIVE if f.mixed.startswith("zoo-mt-")
                 for name in (f.mixed, *f.singles.values())}
    assert {finding3.ALL, *finding3.SINGLE.values()} <= set(family) <= {finding3.ALL, *finding3.SINGLE.values(),
                                                                         *finding3.OPTIONAL.values(), *described}
    labels = {"dn": "dn-s50", "dr": "dr", "sr": "sr-x4"}
    assert set(finding3.SINGLE) <= {labels[entry["task"]] for entry in family[finding3.ALL]["tasks"]}
    for task, model in {**finding3.SINGLE, **finding3.OPTIONAL}.items():
        if model in family:
            assert [labels[entry["task"]] for entry in family[model]["tasks"]] == [task]


@pytest.mark.parametrize("family", finding3.DESCRIPTIVE, ids=lambda family: family.mixed)
def test_each_descriptive_family_is_one_zoo_pair(family):
    """Its mixed model is trained on exactly the single-task models' tasks, all in one pair (one backbone)."""
    configs = {c["name"]: c for c in (yaml.safe_load(path.read_text()) for path in ZOO.glob("*.yaml"))}
    labels = {"dn": "dn-s50", "dr": "dr", "sr": "sr-x4"}
    mixed = configs[family.mixed]
    assert sorted(labels[entry["task"]] for entry in mixed["tasks"]) == sorted(family.singles)
    for task, single in family.singles.items():
        assert configs[single]["pair"] == mixed["pair"]
        assert [labels[entry["task"]] for entry in configs[single]["tasks"]] == [task]
