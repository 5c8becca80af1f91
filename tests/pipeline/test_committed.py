"""The committed-records snapshot: each file read once, refusals kept as one-line errors, the plan grouped."""

from __future__ import annotations

from pathlib import Path

from cem_bench.pipeline import committed as committed_module
from cem_bench.pipeline.check import inconsistent_results, inconsistent_units
from cem_bench.pipeline.committed import Committed
from cem_bench.pipeline.provenance import stale_records
from cem_bench.pipeline.suites import load_suite

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_suite.yaml"


def test_the_three_checks_share_one_read_of_every_file(scored, monkeypatch):
    reads: list[Path] = []
    real = committed_module.read_result
    monkeypatch.setattr(committed_module, "read_result", lambda path, schema: reads.append(path) or real(path, schema))
    suite = load_suite(TINY)
    snapshot = Committed.read(scored, suite)
    files = len(snapshot.results) + len(snapshot.units)
    assert files >= 2 and len(reads) == files == len(set(reads))
    assert inconsistent_results(scored, suite.name, snapshot) == ([], len(snapshot.results))
    assert inconsistent_units(scored, suite, snapshot) == ([], len(snapshot.units))
    assert stale_records(scored, suite, snapshot) == []
    assert len(reads) == files  # nothing read again


def test_an_unreadable_file_is_kept_as_its_error_and_reported_once(scored, tmp_path):
    for path in scored.rglob("*.json"):
        target = tmp_path / path.relative_to(scored)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    broken = next((tmp_path / "tiny" / ".units").glob("*.json"))
    broken.write_text("{not json")
    suite = load_suite(TINY)
    snapshot = Committed.read(tmp_path, suite)
    [refused] = [read for read in snapshot.units if read.record is None]
    assert refused.path == broken and str(broken) in refused.error and "\n" not in refused.error
    problems, _ = inconsistent_units(tmp_path, suite, snapshot)
    assert [p for p in problems if str(broken) in p] == [refused.error]


def test_planned_keys_group_the_plan_by_model_and_task(scored):
    snapshot = Committed.read(scored, load_suite(TINY))
    grouped = snapshot.planned_keys()
    assert sorted(key for keys in grouped.values() for key in keys) == sorted(snapshot.planned)
    for (model, task), keys in grouped.items():
        assert keys == sorted(keys)
        assert all(snapshot.planned[key].model == model and snapshot.planned[key].task.label == task for key in keys)
