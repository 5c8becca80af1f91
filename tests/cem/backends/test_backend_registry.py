"""Backends by name: the registry, the checks before any model is loaded, and what a result records."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from cem_bench import Protocol, score
from cem_bench.cem.acceleration import Acceleration
from cem_bench.cem.backends import BACKENDS, DEFAULT_BACKEND, auto_batch_bytes, available, check, serve
from cem_bench.core.errors import CemBenchError, ParameterError
from cem_bench.core.images import read_rgb
from cem_bench.records.io import validate_result


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEM_BENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return read_rgb("skimage:coffee")[120:168, 300:348].copy()


def test_backends_are_looked_up_by_name() -> None:
    assert available() == ["torch", "onnxruntime"] and DEFAULT_BACKEND == "torch"
    with pytest.raises(ParameterError, match=r"^backend must be one of torch, onnxruntime, got 'onnx'$"):
        check("onnx")
    with pytest.raises(CemBenchError, match="did you mean onnxruntime"):
        BACKENDS.get("onnxrt")


def test_torch_serves_the_module_itself() -> None:
    module = torch.nn.Identity()
    served = serve("torch", module)
    assert served.model is module and served.report() == {"requested": "torch", "used": "torch", "fallbacks": []}


def test_onnxruntime_runs_on_cpu_only() -> None:
    pytest.importorskip("onnxruntime")
    with pytest.raises(ParameterError, match=r"^device must be cpu for the onnxruntime backend, got cuda$"):
        check("onnxruntime", torch.device("cuda"))


def test_a_missing_onnxruntime_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` now raises ImportError
    with pytest.raises(CemBenchError) as error:
        serve("onnxruntime", torch.nn.Identity())
    assert str(error.value) == "the onnxruntime backend needs the onnxruntime package (pip install 'cem-bench[onnx]')"
    check("torch")  # torch does not care


def test_score_refuses_onnxruntime_with_fast(coffee: np.ndarray) -> None:
    pytest.importorskip("onnxruntime")
    with pytest.raises(ParameterError, match="backend must be torch for a fast protocol"):
        score("box-blur-3", "dn", coffee, "16,16,16", protocol=Protocol(fast=True), backend="onnxruntime")


def run(image: np.ndarray, backend: str, **options) -> dict:
    return score("box-blur-3", "dn", image, "16,16,16", protocol=Protocol(coarse=2, fine=2), device="cpu",
                 progress=False, backend=backend, **options).record


def test_score_records_the_backend_it_used(coffee: np.ndarray) -> None:
    pytest.importorskip("onnxruntime")
    torch_run, ort_run = run(coffee, "torch"), run(coffee, "onnxruntime")
    assert torch_run["environment"]["backend"] == {"requested": "torch", "used": "torch", "fallbacks": []}
    used = ort_run["environment"]["backend"]
    assert used["requested"] == used["used"] == "onnxruntime" and used["fallbacks"] == []
    assert used["grad_calls_on_torch"] == 3  # the gradient screen: the original input and 2 probes
    assert all(shape["backend"] == "onnxruntime" for shape in used["shapes"].values())
    validate_result(ort_run)
    json.dumps(ort_run, allow_nan=False)
    # an exact model under an exact backend: the same map, the same protocol id
    assert ort_run["protocol"] == torch_run["protocol"] and ort_run["ce"] == torch_run["ce"]
    assert ort_run["psnr_roi"] == torch_run["psnr_roi"] and ort_run["acceleration"] == torch_run["acceleration"]


def test_a_broken_session_is_caught_and_recorded(coffee: np.ndarray, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("onnxruntime")
    from cem_bench.cem.backends.onnxruntime import OnnxRuntimeModel

    real_run = OnnxRuntimeModel._run
    monkeypatch.setattr(OnnxRuntimeModel, "_run", lambda self, session, x: real_run(self, session, x) * 0.9)
    broken, reference = run(coffee, "onnxruntime"), run(coffee, "torch")
    used = broken["environment"]["backend"]
    assert used["used"] == "torch" and len(used["fallbacks"]) == len(used["shapes"]) >= 2
    assert all("disagrees with torch" in line for line in used["fallbacks"])
    assert broken["ce"] == reference["ce"] and broken["psnr_roi"] == reference["psnr_roi"]
    notices = capsys.readouterr().err.strip().splitlines()
    assert notices == used["fallbacks"]  # one line each, on stderr


def test_onnxruntime_has_its_own_automatic_batch() -> None:
    from cem_bench.cem.backends.onnxruntime import AUTO_BATCH_BYTES
    from cem_bench.core.device import auto_batch_size

    assert auto_batch_bytes("torch") is None and auto_batch_bytes("onnxruntime") == AUTO_BATCH_BYTES
    with pytest.raises(ParameterError, match=r"^backend must be one of torch, onnxruntime, got 'onnx'$"):
        auto_batch_bytes("onnx")
    cpu = torch.device("cpu")
    assert auto_batch_size(96 * 96, cpu, AUTO_BATCH_BYTES) == 1 < auto_batch_size(96 * 96, cpu) == 64
    assert auto_batch_size(32 * 32, cpu, AUTO_BATCH_BYTES) == 8


def test_score_batches_by_the_backend_it_runs() -> None:
    pytest.importorskip("onnxruntime")
    image, plans = read_rgb("skimage:coffee")[100:196, 300:396].copy(), []  # a 96x96 output: batch 1 under onnxruntime
    record = score("box-blur-3", "dn", image, "16,16,16", protocol=Protocol(coarse=2, fine=0), device="cpu",
                   progress=False, backend="onnxruntime", acceleration=Acceleration.off(), on_cost=plans.append).record
    used = record["environment"]["backend"]
    assert list(used["shapes"]) == ["1x3x96x96"] and record["environment"]["batch_size"] is None  # one graph
    assert plans[-1].batch_size == 1 and used["auto_batch_bytes"] == 4 << 20
    on_torch = score("box-blur-3", "dn", image, "16,16,16", protocol=Protocol(coarse=2, fine=0), device="cpu",
                     progress=False, acceleration=Acceleration.off(), on_cost=plans.append)
    assert plans[-1].batch_size == 64 and on_torch.record["ce"] == record["ce"]
