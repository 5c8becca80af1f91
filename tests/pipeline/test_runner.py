"""The suite runner: plan, serial run, unit-level resume, retries, and the Ray executor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cem_bench.core.errors import CemBenchError
from cem_bench.pipeline.runner import measured_job_seconds, plan, read_unit, run_suite, unit_path
from cem_bench.pipeline.suites import load_suite
from cem_bench.report.leaderboard import rank, render

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_suite.yaml"
MODELS = ["box-blur-5", "box-blur-3", "bicubic-x2"]
VOLATILE = {"seconds", "environment", "timings"}


def stable(record: dict) -> dict:
    """A unit record without the fields that change from run to run (time, host, revision)."""
    return {key: value for key, value in record.items() if key not in VOLATILE}


def units_of(out: Path) -> dict[str, dict]:
    return {path.name: stable(json.loads(path.read_text())) for path in sorted((out / "tiny" / ".units").glob("*.json"))}


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    written = run_suite(load_suite(TINY), MODELS, out=out, progress=False)
    return out, written


def test_plan_gives_each_model_only_its_tasks():
    units = plan(load_suite(TINY), MODELS)
    assert {(unit.model, unit.task.label) for unit in units} == {
        ("box-blur-5", "dn-s50"), ("box-blur-3", "dn-s50"), ("bicubic-x2", "sr-x2")}


def test_serial_run_writes_one_file_per_model_and_task(serial_run):
    out, written = serial_run
    assert sorted(path.relative_to(out).as_posix() for path in written) == [
        "tiny/dn-s50/box-blur-3.json", "tiny/dn-s50/box-blur-5.json", "tiny/sr-x2/bicubic-x2.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["tiny"]["dn-s50"]) == {"box-blur-3", "box-blur-5"}
    record = json.loads(written[0].read_text())
    assert record["aggregates"]["psnr_gain"]["mean"] > 0 and len(record["units"]) == 1
    # LAM's Diffusion Index sits beside CEM's metrics for SR models only.
    assert record["aggregates"]["lam_di"] == {"mean": None, "low": None, "high": None, "n_units": 0, "n_images": 0,
                                              "reason": "no unit defines it"}
    sr = json.loads((out / "tiny" / "sr-x2" / "bicubic-x2.json").read_text())
    assert 0 < sr["units"][0]["metrics"]["lam_di"] < 100 and sr["aggregates"]["lam_di"]["n_units"] == 1


def test_every_unit_records_whether_the_screen_and_crop_ran_and_the_backend(serial_run):
    out, written = serial_run
    units = [json.loads(path.read_text()) for path in sorted((out / "tiny" / ".units").glob("*.json"))]
    assert len(units) == 3
    for unit in units:
        assert unit["environment"]["backend"]["used"] == "torch"
        accel = unit["acceleration"]
        assert accel["screen"] and accel["crop"]  # the runner's defaults
        # the analytic blurs and bicubic are local: their screen ran and their forwards ran on a crop
        assert accel["screen_ran"] and accel["crop_ran"] and accel["window"] is not None, unit["key"]
    for path in written:  # the (model, task) files carry their units as cached
        cached = {unit["key"]: unit for unit in units}
        assert all(unit["acceleration"] == cached[unit["key"]]["acceleration"]
                   for unit in json.loads(path.read_text())["units"])


def test_deleted_unit_is_recomputed_identically(serial_run, tmp_path):
    out, _ = serial_run
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "tiny").mkdir()
    (copy / "tiny" / ".units").mkdir()
    before = units_of(out)
    for name in before:
        (copy / "tiny" / ".units" / name).write_text((out / "tiny" / ".units" / name).read_text())
    victim = sorted(before)[0]
    (copy / "tiny" / ".units" / victim).unlink()
    run_suite(load_suite(TINY), MODELS, out=copy, progress=False)
    assert units_of(copy) == before


def test_a_run_that_finds_every_unit_cached_leaves_current_result_files_untouched(serial_run, tmp_path, monkeypatch):
    """Only a file whose content changes is written: a rerun at another revision must not re-date results."""
    from cem_bench.pipeline import aggregate

    out, _ = serial_run
    copy = tmp_path / "copy"
    for path in out.rglob("*.json"):
        (copy / path.relative_to(out)).parent.mkdir(parents=True, exist_ok=True)
        (copy / path.relative_to(out)).write_bytes(path.read_bytes())
    files = [path for path in sorted((copy / "tiny").glob("*/*.json")) if not path.parent.name.startswith(".")]
    before = {path: path.read_bytes() for path in files}
    monkeypatch.setattr(aggregate, "git_revision", lambda: {"commit": "0" * 40, "dirty": True})
    run_suite(load_suite(TINY), MODELS, out=copy, progress=False)
    assert files and {path: path.read_bytes() for path in files} == before
    # a file that does say something else is replaced, with the revision it is assembled at now
    record = json.loads(files[0].read_text())
    record["suite"]["description"] = "an older wording"
    files[0].write_text(json.dumps(record))
    run_suite(load_suite(TINY), MODELS, out=copy, progress=False)
    assert json.loads(files[0].read_text())["environment"]["git_revision"]["commit"] == "0" * 40


def test_leaderboard_and_rank_from_results(serial_run):
    out, _ = serial_run
    text = render(out, "tiny", date="2026-01-01")
    assert "## dn-s50" in text and "| box-blur-5" in text and "How to cite" in text and "LAM DI" in text
    assert sorted([rank(out, "tiny", "dn-s50", "box-blur-5"), rank(out, "tiny", "dn-s50", "box-blur-3")]) == [(1, 2), (2, 2)]
    with pytest.raises(CemBenchError):
        rank(out, "tiny", "dn-s50", "identity")


def test_ray_executor_gives_the_serial_results(serial_run, tmp_path):
    pytest.importorskip("ray")
    out, _ = serial_run
    run_suite(load_suite(TINY), MODELS, out=tmp_path, progress=False, executor="ray",
              executor_options={"num_cpus": 2})
    assert units_of(tmp_path) == units_of(out)
    for path in (out / "tiny").glob("[!.]*/*.json"):
        mine = json.loads((tmp_path / path.relative_to(out)).read_text())
        assert mine["aggregates"] == json.loads(path.read_text())["aggregates"]


def test_failing_unit_is_reported_after_the_rest_is_written(tmp_path, monkeypatch):
    suite = load_suite(TINY)
    calls = []

    def broken(job, **kwargs):
        calls.append(job.first.model)
        if job.first.model == "box-blur-3":
            raise RuntimeError("boom")
        return real(job, **kwargs)

    import cem_bench.pipeline.runner as runner

    real = runner.score_job
    monkeypatch.setattr(runner, "score_job", broken)
    with pytest.raises(CemBenchError, match="1 unit\\(s\\) failed twice.*box-blur-3.*boom"):
        run_suite(suite, ["box-blur-5", "box-blur-3"], out=tmp_path, progress=False)
    assert calls.count("box-blur-3") == 2  # retried once
    assert (tmp_path / "tiny" / "dn-s50" / "box-blur-5.json").is_file()
    assert not (tmp_path / "tiny" / "dn-s50" / "box-blur-3.json").exists()
    assert unit_path(tmp_path, suite, plan(suite, ["box-blur-5"])[0]).is_file()


def test_a_result_file_is_written_when_its_last_unit_is_in_not_at_the_end(tmp_path, serial_run, monkeypatch):
    # a run killed later (a session's end) keeps every (model, task) it completed
    import cem_bench.pipeline.runner as runner

    real = runner.score_job

    def killed_at_box_blur_3(job, **kwargs):
        if job.first.model == "box-blur-3":
            raise KeyboardInterrupt
        return real(job, **kwargs)

    monkeypatch.setattr(runner, "score_job", killed_at_box_blur_3)
    with pytest.raises(KeyboardInterrupt):
        run_suite(load_suite(TINY), ["box-blur-5", "box-blur-3"], out=tmp_path, progress=False)  # in plan order
    finished = tmp_path / "tiny" / "dn-s50" / "box-blur-5.json"
    assert json.loads(finished.read_text())["aggregates"] == json.loads(
        (serial_run[0] / "tiny" / "dn-s50" / "box-blur-5.json").read_text())["aggregates"]
    assert not (tmp_path / "tiny" / "dn-s50" / "box-blur-3.json").exists()


MULTI = {"name": "multi", "description": "two images, three ROIs each", "protocol": {"coarse": 2, "fine": 2},
         "images": [{"id": "coffee", "source": "skimage:coffee", "crop": [200, 100, 48]},
                    {"id": "cat", "source": "skimage:chelsea", "crop": [100, 50, 48]}],
         "rois": [[8, 8, 16], [24, 8, 16], [16, 24, 16]], "tasks": [{"name": "dn", "sigma": 50}]}


def test_units_of_one_image_share_forwards_and_equal_one_roi_suites(tmp_path):
    """A job scores every ROI of an image together; each unit equals the unit of a one-ROI suite."""
    import yaml

    (tmp_path / "multi.yaml").write_text(yaml.safe_dump(MULTI))
    shared = tmp_path / "shared"
    run_suite(load_suite(tmp_path / "multi.yaml"), ["box-blur-5"], out=shared, progress=False)
    for index, roi in enumerate(MULTI["rois"]):
        alone = {**MULTI, "rois": [roi]}
        (tmp_path / f"alone{index}.yaml").write_text(yaml.safe_dump(alone))
        out = tmp_path / f"alone{index}"
        run_suite(load_suite(tmp_path / f"alone{index}.yaml"), ["box-blur-5"], out=out, progress=False)
        for path in (out / "multi" / ".units").glob("*.json"):
            mine = stable(json.loads(path.read_text()))
            theirs = stable(json.loads((shared / "multi" / ".units" / path.name).read_text()))
            assert {k: v for k, v in mine.items() if k != "fingerprint"} == \
                {k: v for k, v in theirs.items() if k != "fingerprint"}


def test_a_failing_job_writes_none_of_its_units(tmp_path, monkeypatch):
    """The second ROI's record fails after the first one's is built (as LAM may): no unit of the job is kept."""
    import yaml

    import cem_bench.pipeline.runner as runner

    (tmp_path / "multi.yaml").write_text(yaml.safe_dump(MULTI))
    real = runner._unit_record

    def second_roi_fails(unit, *args, **kwargs):
        if unit.roi == (24, 8, 16):
            raise RuntimeError("LAM failed")
        return real(unit, *args, **kwargs)

    monkeypatch.setattr(runner, "_unit_record", second_roi_fails)
    out = tmp_path / "out"
    with pytest.raises(CemBenchError) as caught:
        run_suite(load_suite(tmp_path / "multi.yaml"), ["box-blur-5"], out=out, progress=False)
    assert str(caught.value) == ("6 unit(s) failed twice (other results written): box-blur-5.dn-s50.coffee.r8-8-16, "
                                 "box-blur-5.dn-s50.coffee.r24-8-16, box-blur-5.dn-s50.coffee.r16-24-16 and 3 more: "
                                 "RuntimeError: LAM failed")  # one entry per distinct message, not 6
    # no unit record and no result file; the finished samples stay in .partial/ for the next run to resume from
    assert [path.parent.name for path in (out / "multi").rglob("*.json")] == [".partial", ".partial"]


def test_a_budgeted_run_stops_and_a_later_run_completes_it_identically(tmp_path, serial_run, monkeypatch):
    import time

    import cem_bench.pipeline.runner as runner

    suite = load_suite(TINY)
    slow = runner.score_job

    def after_first(job, **kwargs):  # the budget runs out after the first job
        kwargs["deadline"] = time.monotonic() - 1 if after_first.done else kwargs["deadline"]
        after_first.done = True
        return slow(job, **kwargs)

    after_first.done = False
    monkeypatch.setattr(runner, "score_job", after_first)
    run_suite(suite, MODELS, out=tmp_path, progress=False, budget=3600)
    monkeypatch.undo()
    assert len(list((tmp_path / "tiny" / ".units").glob("*.json"))) == 1  # one job done, the rest left
    run_suite(suite, MODELS, out=tmp_path, progress=False, budget=3600)
    assert units_of(tmp_path) == units_of(serial_run[0])


def test_finished_cpu_jobs_give_their_median_seconds(serial_run):
    out, _ = serial_run
    suite = load_suite(TINY)
    units = plan(suite, MODELS)
    records = [read_unit(unit_path(out, suite, unit)) for unit in units]
    measured = measured_job_seconds(units, records)
    # One image and one ROI per (model, task) in the tiny suite: each job took what its one unit records.
    assert measured == {(unit.model, unit.task.label): record["seconds"] for unit, record in zip(units, records)}
    assert measured_job_seconds(units, []) == {}
