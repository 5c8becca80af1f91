"""Which leaderboard each suite gets, the standard suite's coverage from its unit records, and the committed files."""

from __future__ import annotations

from pathlib import Path

import pytest
from handmade_results import make_unit

from cem_bench.cli import main
from cem_bench.models import get_card
from cem_bench.pipeline.leaderboards import leaderboard_file, render_leaderboard, suite_coverage
from cem_bench.pipeline.plan import plan
from cem_bench.pipeline.runner import fingerprint, unit_path
from cem_bench.pipeline.suites import load_suite
from cem_bench.records.io import write_result

ROOT = Path(__file__).resolve().parents[2]


def test_each_suite_has_its_file():
    assert [leaderboard_file(name) for name in ("standard", "quick", "quick-x3", "tiny")] == [
        "leaderboard.md", "quick_smoke.md", "quick-x3_smoke.md", "leaderboard-tiny.md"]


def test_planning_without_reading_the_images_gives_the_same_units():
    quick = load_suite("quick")
    assert plan(quick, check_images=False) == plan(quick)


@pytest.fixture(scope="module")
def standard():
    return load_suite("standard")


def write_standard_units(out: Path, suite, keys: list[str], stale: bool = False) -> None:
    """Hand-made records of planned standard units: the current fingerprint, or another (``stale``)."""
    units = {unit.key: unit for unit in plan(suite, check_images=False)}
    for key in keys:
        unit = units[key]
        record = make_unit(unit.model, "dr", unit.image) | {"key": key, "seconds": 2.0}
        record["environment"]["created"] = "2031-01-02T03:04:05+00:00"
        record["fingerprint"] = "0" * 16 if stale else fingerprint(unit, suite, get_card(unit.model))
        write_result(record, unit_path(out, suite, unit), schema="suite_result#unit", compact=True)


def test_standard_coverage_counts_records_the_runner_would_reuse(standard, tmp_path):
    image = [f"identity.dr.urban-024.r{x}-{y}-32" for y in (32, 112, 192) for x in (32, 112, 192)]
    write_standard_units(tmp_path, standard, image + ["identity.dr.urban-006.r32-32-32"])
    write_standard_units(tmp_path, standard, ["box-blur-5.dr.urban-024.r32-32-32"], stale=True)
    coverage = suite_coverage(tmp_path, standard)
    identity = coverage.pair("identity", "dr")
    assert (identity.units_done, identity.units_planned, identity.images_done, identity.images_planned) == (10, 117, 1, 13)
    assert identity.seconds_left == pytest.approx(12 * 2.0)  # one shared job of 2 s done, 12 pending
    assert coverage.pair("box-blur-5", "dr").units_done == 0  # another fingerprint: the runner recomputes it
    assert coverage.units_planned == 117 * len(coverage.pairs) and coverage.units_done == 10


def test_standard_renders_with_coverage_when_nothing_is_complete(standard, tmp_path):
    write_standard_units(tmp_path, standard, ["identity.dr.urban-024.r32-32-32"])
    text = render_leaderboard(tmp_path, standard)
    assert f"with protocol `{standard.protocol.id}` (suite `{standard.id}`" in text
    assert "generated 2031-01-02" in text and "No model is complete on dr yet." in text and "| identity " in text and "| 1 / 117 " in text


def test_the_leaderboard_command_defaults_to_the_standard_suite(standard, tmp_path, monkeypatch):
    write_standard_units(tmp_path / "results", standard, ["identity.dr.urban-024.r32-32-32"])
    monkeypatch.chdir(tmp_path)
    assert main(["leaderboard"]) == 0
    assert (tmp_path / "reports" / "leaderboard.md").read_text() == render_leaderboard("results", standard)


def test_the_committed_standard_leaderboard_is_what_its_results_and_units_render(standard, monkeypatch):
    monkeypatch.chdir(ROOT)  # the citation block names CITATION.cff when it is beside the results
    assert render_leaderboard("results", standard) == (ROOT / "reports" / "leaderboard.md").read_text()
