"""A budgeted run's cost estimate times the backend that will run the forwards, through the scoring path's
own serve call, so the graph it exports is the one the job then reuses (a few seconds on 2 cores)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from cem_bench.models import load_model
from cem_bench.pipeline import jobs, reach
from cem_bench.pipeline.jobs import estimate_seconds, make_jobs
from cem_bench.pipeline.plan import plan
from cem_bench.pipeline.runner import run_suite, score_job
from cem_bench.pipeline.suites import load_suite

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny_suite.yaml"


class NoExport(torch.nn.Module):
    """``aten::i0`` has no ONNX export: the onnxruntime backend serves it on torch."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.special.i0(x) - 1.0


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CEM_BENCH_CACHE", str(tmp_path / "cache"))
    jobs._forward_seconds.cache_clear()  # timings are kept per process; each test starts afresh
    return tmp_path / "cache" / "onnx"


@pytest.fixture(scope="module")
def dn_job() -> jobs.Job:
    suite = load_suite(TINY)
    return make_jobs([unit for unit in plan(suite, ["box-blur-3"]) if unit.task.name == "dn"])[0]


def test_the_estimate_times_onnxruntime_and_the_job_reuses_its_graph(dn_job, own_cache: Path, tmp_path: Path) -> None:
    suite, model = load_suite(TINY), load_model("box-blur-3")
    estimate = estimate_seconds(dn_job, suite, model, "cpu", "onnxruntime")
    assert estimate.backend == "onnxruntime" and 0 < estimate.seconds < float("inf")
    assert len(list(own_cache.glob("*.onnx"))) == 1  # the whole 48x48 input at batch 1
    record = score_job(dn_job, suite, tmp_path / "out", device="cpu", batch_size=1, backend="onnxruntime")[0]
    shapes = record["environment"]["backend"]["shapes"]
    assert shapes["1x3x48x48"]["cache"] == "hit", shapes  # exported by the estimate under the run's own key


def test_the_torch_estimate_exports_nothing(dn_job, own_cache: Path) -> None:
    estimate = estimate_seconds(dn_job, load_suite(TINY), load_model("box-blur-3"), "cpu")
    assert estimate.backend == "torch" and 0 < estimate.seconds < float("inf")
    assert not own_cache.exists()


def test_a_fallback_is_timed_on_torch_and_said(dn_job) -> None:
    estimate = estimate_seconds(dn_job, load_suite(TINY), NoExport().eval(), "cpu", "onnxruntime")
    assert estimate.backend == "torch" and estimate.seconds < float("inf")


def test_the_budget_line_names_the_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_suite(load_suite(TINY), ["box-blur-3"], out=tmp_path / "out", progress=False, device="cpu", budget=3600,
              backend="onnxruntime", tasks=["dn-s50"], summary=False)
    printed = capsys.readouterr()
    line = [text for text in (printed.out + printed.err).splitlines() if text.startswith("budget ")]
    assert len(line) == 1 and line[0].endswith("of this device with the onnxruntime backend"), line


def test_a_local_model_is_estimated_below_a_global_one_of_the_same_forward(dn_job) -> None:
    suite, model = load_suite(TINY), load_model("box-blur-3")
    local = estimate_seconds(dn_job, suite, model, "cpu", reach=reach.Reach(candidates=9, share=0.25, blocks=36))
    whole = estimate_seconds(dn_job, suite, model, "cpu", reach=reach.Reach(candidates=32, share=1.0, blocks=36))
    unknown = estimate_seconds(dn_job, suite, model, "cpu")
    forward = jobs._forward_seconds.cache_info()
    assert forward.misses == 1  # one timing serves the three
    assert local.seconds < whole.seconds == pytest.approx(unknown.seconds)
    # coarse 1 + fine 0 per block, after the ROI's screen (3 probes x a forward and a backward) and 3 crop checks:
    # the crop costs 12 + 0.25 x (1 + 9) forwards, the whole image 12 + 1 + 32.
    assert local.seconds / whole.seconds == pytest.approx((12 + 0.25 * 10) / (12 + 33))
