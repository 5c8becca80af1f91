"""`cem-bench check`: tolerance rules, stale reports, and regeneration against committed results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import needs_assets

from cem_bench.cli import main
from cem_bench.pipeline.check import compare_trees, inconsistent_results, stale_files
from cem_bench.pipeline.reproduction import compare_records

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_suite.yaml"


def test_numbers_within_tolerance_and_volatile_fields_pass():
    committed = {"metrics": {"psnr_roi": 30.0, "positive": 3}, "seconds": 1.0, "environment": {"device": "cpu"}}
    rerun = {"metrics": {"psnr_roi": 30.0 + 5e-4, "positive": 3}, "seconds": 7.0, "environment": {"device": "cuda"}}
    assert compare_records(committed, rerun) == []


def test_real_differences_are_named_with_their_path():
    committed = {"metrics": {"psnr_roi": 30.0, "positive": 3, "causal_radius": None}, "ce": [[1.0, None]]}
    rerun = {"metrics": {"psnr_roi": 30.01, "positive": 4, "causal_radius": 8.0}, "ce": [[1.0, None], [0.0]]}
    assert compare_records(committed, rerun) == [
        "ce: length 1 != 2", "metrics.causal_radius: None != 8.0", "metrics.positive: 3 != 4",
        "metrics.psnr_roi: 30.0 != 30.01"]
    assert compare_records({"a": 1}, {"b": 1}) == ["a: only in committed", "b: only in regenerated"]


def test_missing_and_extra_files_are_reported(tmp_path):
    for name, files in (("old", ["dn-s50/a.json", "dn-s50/b.json"]), ("new", ["dn-s50/a.json", "sr-x2/c.json"])):
        for file in files:
            (tmp_path / name / file).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name / file).write_text(json.dumps({"x": 1}))
    assert compare_trees(tmp_path / "old", tmp_path / "new") == (
        ["dn-s50/b.json: not regenerated", "sr-x2/c.json: regenerated but not committed"], 0)


def test_stale_file_is_named(tmp_path):
    (tmp_path / "a.md").write_text("old")
    assert stale_files({tmp_path / "a.md": lambda: "old"}) == []
    assert stale_files({tmp_path / "a.md": lambda: "new", tmp_path / "b.md": lambda: ""}) == [
        f"{tmp_path / 'a.md'}: stale (regenerate it from the committed results)", f"{tmp_path / 'b.md'}: missing"]


@pytest.fixture(scope="module")
def committed(tmp_path_factory) -> Path:
    """A tiny suite with two analytic models scored, aggregated and reported like the repository's own."""
    root = tmp_path_factory.mktemp("repo")
    suite = yaml.safe_load(TINY.read_text()) | {"models": ["box-blur-3", "bicubic-x2"]}
    (root / "tiny.yaml").write_text(yaml.safe_dump(suite))
    args = ["--suite", str(root / "tiny.yaml")]
    assert main(["data", "params", *args, "--out", str(root / "params.yaml")]) == 0
    assert main(["run", *args, "--params", str(root / "params.yaml"), "--out", str(root / "results"), "--quiet"]) == 0
    assert main(["leaderboard", *args, "--results", str(root / "results"), "--out", str(root / "reports/leaderboard-tiny.md")]) == 0
    assert main(["report", *args, "--results", str(root / "results"), "--out", str(root / "reports/findings-tiny.md")]) == 0
    return root


def check(root: Path, *extra: str) -> int:
    return main(["check", "--suite", str(root / "tiny.yaml"), "--params", str(root / "params.yaml"),
                 "--results", str(root / "results"), "--reports", str(root / "reports"), "--quiet", *extra])


def test_committed_results_pass_and_regenerate_identically(committed):
    assert check(committed, "--regenerate") == 0


def test_a_params_file_of_another_suite_is_not_applied(committed, tmp_path, capsys):
    """params.yaml parametrises the DVC pipeline of one suite (quick): checking another suite (e.g. quick-x3)
    neither applies its protocol overrides nor compares its units with that suite's plan."""
    other = tmp_path / "params.yaml"
    other.write_text(yaml.safe_dump({"suite": "quick", "protocol": {"coarse": 3, "fine": 10},
                                     "units": {"identity.dr": {"model": "identity", "task": "dr"}}}))
    assert main(["check", "--suite", str(committed / "tiny.yaml"), "--params", str(other), "--results",
                 str(committed / "results"), "--reports", str(committed / "reports"), "--quiet", "--regenerate"]) == 0
    assert f"summary.json ({other} is suite quick's) and 2 report(s) match" in capsys.readouterr().out
    mine = yaml.safe_load((committed / "params.yaml").read_text())
    other.write_text(yaml.safe_dump(mine | {"units": {}}))  # the suite's own params file: its units are checked
    assert main(["check", "--suite", str(committed / "tiny.yaml"), "--params", str(other), "--results",
                 str(committed / "results"), "--reports", str(committed / "reports")]) == 2
    assert "units differ from the suite's plan" in capsys.readouterr().err


def test_a_stale_report_fails(committed, capsys):
    report = committed / "reports" / "leaderboard-tiny.md"
    original = report.read_text()
    report.write_text(original + "\nhand edit\n")
    try:
        assert check(committed) == 2
        assert "leaderboard-tiny.md: stale" in capsys.readouterr().err
        assert check(committed, "--committed-only") == 2  # a suite still being computed: its leaderboard too
        assert "leaderboard-tiny.md: stale" in capsys.readouterr().err
    finally:
        report.write_text(original)
    assert check(committed, "--committed-only") == 0


def test_a_summary_left_behind_by_a_new_result_fails_the_committed_only_check(committed, capsys):
    """A result file completed without `cem-bench aggregate` once failed CI only in the quick suite's
    check, after the whole test run: the standard suite's seconds-long check catches it now."""
    summary = committed / "results" / "summary.json"
    original = summary.read_text()
    summary.write_text(json.dumps({"tiny": {}}, indent=1) + "\n")
    try:
        assert check(committed, "--committed-only") == 2
        assert "summary.json: stale" in capsys.readouterr().err
    finally:
        summary.write_text(original)
    assert check(committed, "--committed-only") == 0


def test_a_changed_effect_fails_the_plain_check_one_line_per_number(committed, capsys):
    path = committed / "results" / "tiny" / "dn-s50" / "box-blur-3.json"
    original = path.read_text()
    record = json.loads(original)
    row = record["units"][0]["ce"][0]
    row[1] = (row[1] or 0.0) + 0.5  # a map value: its metrics (and only they) no longer follow from it
    path.write_text(json.dumps(record))
    try:
        assert check(committed) == 2
        err = capsys.readouterr().err.splitlines()
        assert err[0].startswith(f"{path}: units[0].metrics.")
        assert all(line.startswith(f"{path}: units[0].") for line in err[:-1])
        assert err[-1].startswith(f"cem-bench: error: {len(err) - 1} number(s) in the committed tiny results")
    finally:
        path.write_text(original)


def test_a_changed_measurement_fails_the_regeneration(committed, capsys):
    path = committed / "results" / "tiny" / "dn-s50" / "box-blur-3.json"
    original = path.read_text()
    record = json.loads(original)
    unit = record["units"][0]
    i, j = next((i, j) for i, row in enumerate(unit["ce"]) for j, v in enumerate(row) if v not in (None, 0.0))
    unit["n_samples"][i][j] += 5  # no metric is derived from it: only a rescoring can tell
    path.write_text(json.dumps(record))
    try:
        assert check(committed) == 0
        assert check(committed, "--regenerate") == 2
        assert f"units[0].n_samples[{i}][{j}]: " in capsys.readouterr().err
    finally:
        path.write_text(original)


def test_the_committed_quick_results_follow_from_themselves():
    problems, files = inconsistent_results(Path(__file__).resolve().parents[2] / "results", "quick")
    assert problems == [] and files > 0


def test_models_that_could_not_be_rescored_are_not_expected(tmp_path):
    for name, files in (("old", ["dr/prn.json", "dr/box.json"]), ("new", ["dr/box.json"])):
        for file in files:
            (tmp_path / name / file).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name / file).write_text(json.dumps({"x": 1}))
    assert compare_trees(tmp_path / "old", tmp_path / "new", unscored=frozenset({"prn"})) == ([], 0)
    assert compare_trees(tmp_path / "old", tmp_path / "new", unscored=frozenset({"box"})) == (["dr/prn.json: not regenerated"], 0)


def test_committed_units_of_a_suite_in_progress_are_checked(tmp_path):
    """`check --committed-only`: unit records must be valid, follow from their maps, and be the suite's."""
    from cem_bench.pipeline.check import inconsistent_units
    from cem_bench.pipeline.runner import run_suite
    from cem_bench.pipeline.suites import load_suite

    suite = load_suite(TINY)
    run_suite(suite, ["box-blur-5"], out=tmp_path, progress=False, summary=False)
    assert inconsistent_units(tmp_path, suite) == ([], 1)
    reports = ["--reports", str(tmp_path / "reports")]
    assert main(["check", "--suite", str(TINY), "--results", str(tmp_path), "--committed-only", *reports]) == 2
    for command, name in (("leaderboard", "leaderboard-tiny.md"), ("report", "findings-tiny.md")):  # the check wants them too
        assert main([command, "--suite", str(TINY), "--results", str(tmp_path), "--out", str(tmp_path / "reports" / name)]) == 0
    assert main(["check", "--suite", str(TINY), "--results", str(tmp_path), "--committed-only", *reports]) == 0
    unit_file = next((tmp_path / "tiny" / ".units").glob("*.json"))
    record = json.loads(unit_file.read_text())
    record["metrics"]["positive"] += 1  # a count that no longer follows from the map
    record["protocol"]["id"] = "cem-v1/other"
    unit_file.write_text(json.dumps(record))
    problems, count = inconsistent_units(tmp_path, suite)
    assert count == 1 and any("metrics.positive" in p for p in problems) and any("protocol" in p for p in problems)
    assert main(["check", "--suite", str(TINY), "--results", str(tmp_path), "--committed-only", *reports]) == 2


SAMPLED = "box-blur-5.dn-s50.coffee.r16-16-16"


@pytest.fixture
def sampled(tmp_path) -> tuple[Path, Path]:
    """A tiny suite whose ``ci_sample`` is one box-blur-5 unit, scored into ``results`` (the "committed" side)."""
    from cem_bench.pipeline.runner import run_suite
    from cem_bench.pipeline.suites import load_suite

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(yaml.safe_load(TINY.read_text()) | {"models": ["box-blur-5", "box-blur-3"], "ci_sample": [SAMPLED]}))
    run_suite(load_suite(path), out=tmp_path / "results", progress=False, summary=False)
    # The sampled (model, task) as if still being computed: units only (box-blur-3's file keeps the suite
    # reportable). A result file holds a copy of each unit, which --committed-only compares with the unit
    # record, so a forged unit of a complete pair would not pass it.
    (tmp_path / "results" / "tiny" / "dn-s50" / "box-blur-5.json").unlink()
    for command, name in (("leaderboard", "leaderboard-tiny.md"), ("report", "findings-tiny.md")):  # --committed-only checks them
        assert main([command, "--suite", str(path), "--results", str(tmp_path / "results"),
                     "--out", str(tmp_path / "reports" / name)]) == 0
    return path, tmp_path / "results" / "tiny" / ".units" / f"{SAMPLED}.json"


def _edit_effect(unit_file: Path, delta: float) -> tuple[int, int]:
    """Move one non-zero CE by ``delta`` and re-derive everything that follows from the map, as a careful
    forger would: only the rescoring can tell. Returns the block's [row, col]."""
    from cem_bench.core.geometry import ROI, BlockGrid
    from cem_bench.core.metrics import effect_range, map_metrics
    from cem_bench.core.metrics.catalog import stored_metric
    from cem_bench.records.io import ce_array

    unit = json.loads(unit_file.read_text())
    i, j = next((i, j) for i, row in enumerate(unit["ce"]) for j, v in enumerate(row) if v is not None and abs(v) > 0.05)
    unit["ce"][i][j] = round(unit["ce"][i][j] + delta, 6)
    ce, (width, height) = ce_array(unit["ce"]), unit["image"]["size"]
    grid = BlockGrid(height, width, unit["grid"]["block"], unit["grid"]["block"] // unit["grid"]["in_block"])
    unit["metrics"].update({name: stored_metric(value) for name, value in map_metrics(ce, ROI(**unit["roi"]), grid).items()})
    unit["effect_range"] = effect_range(ce)
    unit_file.write_text(json.dumps(unit))
    return i, j


def sample_check(suite: Path) -> int:
    return main(["check", "--suite", str(suite), "--results", str(suite.parent / "results"), "--rescore-sample", "--quiet"])


def test_the_sample_rescores_to_its_committed_units(sampled, capsys):
    from cem_bench.pipeline.check import rescore_sample
    from cem_bench.pipeline.suites import load_suite

    suite, _ = sampled
    assert rescore_sample(suite.parent / "results", load_suite(suite)) == ([], 0, 1)
    assert sample_check(suite) == 0
    assert "1 sampled unit(s) rescored" in capsys.readouterr().out


def test_an_effect_moved_within_tolerance_passes_and_beyond_it_fails(sampled, capsys):
    suite, unit_file = sampled
    original = unit_file.read_text()
    _edit_effect(unit_file, 2e-3)  # under the 5e-3 dB that CPU types may differ by
    assert main(["check", "--suite", str(suite), "--results", str(suite.parent / "results"), "--committed-only",
                 "--reports", str(suite.parent / "reports")]) == 0
    assert sample_check(suite) == 0
    unit_file.write_text(original)
    i, j = _edit_effect(unit_file, 0.02)
    assert main(["check", "--suite", str(suite), "--results", str(suite.parent / "results"), "--committed-only",
                 "--reports", str(suite.parent / "reports")]) == 0
    capsys.readouterr()
    assert sample_check(suite) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{unit_file}.ce[{i}][{j}]: ") and len(err) == 2
    assert err[-1].startswith("cem-bench: error: 1 difference(s) between committed and rescored tiny sample units")


def test_a_sample_unit_must_be_planned_and_committed(sampled, capsys):
    suite, unit_file = sampled
    unit_file.unlink()
    assert sample_check(suite) == 2
    assert capsys.readouterr().err.strip() == (
        f"cem-bench: error: ci_sample unit(s) not committed under {unit_file.parent}: {SAMPLED} "
        "(a sample unit must be computed and committed before CI can compare it)")
    # identity fits dn-s50 and the key is well formed, but the suite's models are box-blur-5 only
    other = "identity.dn-s50.coffee.r16-16-16"
    suite.write_text(suite.read_text().replace(SAMPLED, other))
    assert sample_check(suite) == 2
    assert capsys.readouterr().err.strip() == f"cem-bench: error: ci_sample unit(s) not in suite tiny's plan: {other}"


def test_a_suite_without_a_sample_is_refused(capsys):
    assert main(["check", "--suite", str(TINY), "--rescore-sample"]) == 2
    assert "suite tiny lists no ci_sample units to rescore" in capsys.readouterr().err


@needs_assets
def test_the_standard_sample_is_planned_committed_and_covers_every_task():
    from cem_bench.pipeline.plan import plan
    from cem_bench.pipeline.suites import load_suite

    suite = load_suite("standard")
    units = {unit.key: unit for unit in plan(suite)}
    committed = Path(__file__).resolve().parents[2] / "results" / "standard" / ".units"
    assert suite.ci_sample and set(suite.ci_sample) <= set(units)
    assert all((committed / f"{key}.json").is_file() for key in suite.ci_sample)
    assert {units[key].task.label for key in suite.ci_sample} == {task.label for task in suite.tasks}
