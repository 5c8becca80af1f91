"""Finding 1's pre-registered rule on hand-made SR results whose verdict is known."""

from pathlib import Path

import pytest
import yaml
from handmade_results import effect_map, image_grid, map_result, map_unit, write_results

from cem_bench.analysis.findings import analyse_all, finding1, load_units

ZOO = Path(__file__).resolve().parents[3] / "model_registry" / "zoo" / "configs"
MODELS = ["carn-m-x4", "imdn-x4", "zoo-sr-swinir"]


def results(harmful, models=MODELS, images: int = 13, null: bool = True) -> list[dict]:
    """Trained sr-x4 models whose (image, ROI, model) map has a harmful block 16 px out when ``harmful(i, k, m)``,
    and bicubic-x4 with no distant effect at all."""
    records = []
    for m, model in enumerate(models):
        units = [map_unit(model, "sr-x4", name, roi, 1.0 + 0.1 * m, effect_map(
            roi, 0.5, 2, -0.4 if harmful(i, k, m) else 0.0, 1), lam_di=10.0 + m)
            for i, name, k, roi in image_grid(images)]
        records.append(map_result(model, "sr-x4", units))
    if null:
        records.append(map_result("bicubic-x4", "sr-x4", [
            map_unit("bicubic-x4", "sr-x4", name, roi, 0.0, effect_map(roi, 0.3, 1)) for _, name, _, roi in image_grid(images)]))
    return records


def analyse(tmp_path, records):
    write_results(tmp_path, records)
    return analyse_all(load_units(tmp_path, "tiny"))[0]


def test_supported_when_harmful_distant_blocks_are_common(tmp_path):
    # harmful in 4 of every 5 maps, varying over images and models
    result = analyse(tmp_path, results(lambda i, k, m: (i + k + m) % 5 != 0))
    assert result.verdict.verdict == "supported", result.verdict.reason
    assert "n = 13 images" in result.verdict.reason and "Holm-adjusted" in result.verdict.reason
    assert result.primary.n == 13 and "power" in result.primary.power
    rows = {row[0]: row for row in result.tables[0].rows}
    assert set(rows) == {*MODELS, "bicubic-x4"} and rows["bicubic-x4"][2] == "0.00"


def test_not_supported_when_no_map_has_distant_harm(tmp_path):
    result = analyse(tmp_path, results(lambda i, k, m: False))
    assert result.verdict.verdict == "not supported", result.verdict.reason
    assert "entirely below 0.10" in result.verdict.reason


def test_inconclusive_near_the_bound(tmp_path):
    # about one map in ten is harmful: neither reliably above nor reliably below 0.10
    result = analyse(tmp_path, results(lambda i, k, m: k == 0 and (i + m) % 5 == 0))
    assert result.verdict.verdict == "inconclusive", result.verdict.reason


@pytest.mark.parametrize("kwargs, reason", [
    ({"null": False}, "null operator bicubic-x4"),
    ({"images": 5}, "too few for an interval"),
])
def test_inconclusive_without_the_null_operator_or_enough_images(tmp_path, kwargs, reason):
    result = analyse(tmp_path, results(lambda i, k, m: True, **kwargs))
    assert result.verdict.verdict == "inconclusive" and reason in result.verdict.reason


def test_only_trained_single_task_sr_x4_models_are_tested(tmp_path):
    records = results(lambda i, k, m: True)
    records.append(map_result("carn-m-x2", "sr-x2", [map_unit("carn-m-x2", "sr-x2", name, roi, 1.0, effect_map(roi))
                                                       for _, name, _, roi in image_grid()]))
    write_results(tmp_path, records)
    assert finding1.models(load_units(tmp_path, "tiny")) == sorted(MODELS)


def test_the_depth_family_is_the_zoo_depth_sr_pair():
    configs = [yaml.safe_load(path.read_text()) for path in ZOO.glob("*.yaml")]
    assert {c["name"] for c in configs if c["pair"] == "depth-sr"} == set(finding1.DEPTH_FAMILY)


def test_the_test_waits_for_every_planned_trained_sr_x4_model(tmp_path):
    # the rule of the 2026-12-01 amendment: one look, at the full planned set
    write_results(tmp_path, results(lambda i, k, m: (i + k + m) % 5 != 0))
    units = load_units(tmp_path, "tiny")
    planned = {(model, "sr-x4") for model in MODELS} | {("carn-m-x2", "sr-x2")}  # other tasks are not needed
    assert analyse_all(units, planned=planned)[0].verdict.verdict == "supported"
    waiting = analyse_all(units, planned=planned | {("pan-x4", "sr-x4"), ("imdn-x2", "sr-x2")})[0]
    assert waiting.verdict.verdict == "inconclusive"
    assert waiting.primary.blocked == ("1 of the 4 planned trained single-task sr-x4 models have no complete result "
                                       "(pan-x4); the test pools them all")


def test_a_student_t_sensitivity_line_sits_beside_the_primary_test(tmp_path):
    result = analyse(tmp_path, results(lambda i, k, m: (i + k + m) % 5 != 0))
    assert result.primary.sensitivity.text().startswith("Student's t on the same image means: E[D] > 0.10 p ")
