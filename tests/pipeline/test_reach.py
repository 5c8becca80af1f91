"""The model's reach that orders a budgeted run: one ROI screened once per (model, task), kept on disk, and
the CPU-time bound a report derives from it (seconds on 2 cores)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from cem_bench.cem.acceleration import Acceleration
from cem_bench.models import get_card, load_model
from cem_bench.pipeline import jobs, reach
from cem_bench.pipeline.jobs import make_jobs
from cem_bench.pipeline.plan import plan
from cem_bench.pipeline.suites import load_suite

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_suite.yaml"


@pytest.fixture(scope="module")
def dn_job() -> jobs.Job:
    suite = load_suite(TINY)
    return make_jobs([unit for unit in plan(suite, ["box-blur-3"]) if unit.task.name == "dn"])[0]


class GlobalMean(torch.nn.Module):
    """Every output pixel moves with the image mean: a global operation, so the screen keeps every block."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x + 0.5 * x.mean(dim=(2, 3), keepdim=True)


def test_the_screen_tells_a_local_model_from_a_global_one(dn_job) -> None:
    suite = load_suite(TINY)
    local = reach.measure_reach(dn_job.middle, suite, load_model("box-blur-3"), "cpu")
    whole = reach.measure_reach(dn_job.middle, suite, GlobalMean().eval(), "cpu")
    # 48x48 at block 8: 36 blocks, 4 of them the 16-px ROI at (16, 16); a 3x3 blur reaches one pixel past it.
    assert whole is not None and (whole.candidates, whole.share, whole.blocks) == (36 - 4, 1.0, 36)
    assert local is not None and 0 < local.candidates < whole.candidates and local.share < 1.0
    assert local.device == "cpu" and local.forward_seconds > 0 and local.threads == torch.get_num_threads()


def test_the_reach_is_screened_once_and_kept(dn_job, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    suite, model = load_suite(TINY), load_model("box-blur-3")
    first = reach.known_reach(dn_job.middle, suite, tmp_path, model, "cpu")
    monkeypatch.setattr(reach, "measure_reach", lambda *args: pytest.fail("screened again"))
    assert reach.known_reach(dn_job.middle, suite, tmp_path, model, "cpu") == first
    assert (tmp_path / suite.name / reach.REACH_FILE).is_file()
    # A report bounds the job's CPU time from the kept forward: 1 ROI's screen, then 1 + candidates on its crop.
    cards = {dn_job.middle.card_ref: get_card(dn_job.middle.card_ref)}
    bounds = reach.cpu_job_bounds(tmp_path, suite, [dn_job.middle], cards)
    assert first is not None and first.share < 1  # each ROI on its crop: cheaper than the whole image
    screen = (Acceleration().probes + 1) * 3 + len(Acceleration().aligns)
    assert bounds == {("box-blur-3", "dn-s50"): pytest.approx(first.forward_seconds
                                                              * (screen + (1 + first.candidates) * first.share))}


def test_a_reach_kept_for_a_gpu_bounds_no_cpu_time(dn_job, tmp_path: Path) -> None:
    suite, unit = load_suite(TINY), dn_job.middle
    cards = {unit.card_ref: get_card(unit.card_ref)}
    timed = reach.Reach(candidates=8, share=0.5, blocks=36, forward_seconds=0.01, device="cuda", threads=1)
    key = reach.reach_key(unit, suite, cards[unit.card_ref], "cuda")
    (tmp_path / suite.name).mkdir()
    (tmp_path / suite.name / reach.REACH_FILE).write_text(json.dumps({key: {**asdict(timed), "later": 1}}))
    assert reach.read_reach(tmp_path, suite) == {key: timed}  # a field of a later version is ignored
    assert reach.cpu_job_bounds(tmp_path, suite, [unit], cards) == {}
