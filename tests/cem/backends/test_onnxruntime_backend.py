"""The onnxruntime backend on small pure-torch models: equivalence, per-shape graphs, the disk cache and
every fallback path (a few seconds on 2 cores)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from cem_bench.cem.backends import _export  # noqa: E402 - after the skips
from cem_bench.cem.backends.onnxruntime import SESSION_OPTIONS, TOLERANCE, OnnxRuntimeModel  # noqa: E402
from cem_bench.core.errors import ParameterError  # noqa: E402


# -- small models ----------------------------------------------------------------------------------
class IdentityConv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)
        with torch.no_grad():
            self.conv.weight.copy_(torch.eye(3)[:, :, None, None])
            self.conv.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class BoxBlur(nn.Module):
    def __init__(self, k: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, k, padding=k // 2, padding_mode="replicate", groups=3, bias=False)
        with torch.no_grad():
            self.conv.weight.fill_(1.0 / (k * k))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class ShuffleX2(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 12, 3, padding=1))
        self.shuffle = nn.PixelShuffle(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = nn.functional.interpolate(x, scale_factor=2, mode="nearest")
        return self.shuffle(self.body(x)) * 0.1 + skip


class Gain(nn.Module):
    """A Python attribute the trace bakes in as a constant (like a noise level or a scale argument)."""

    def __init__(self, gain: float) -> None:
        super().__init__()
        self.gain = gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gain


class Unexportable(nn.Module):
    """``aten::i0`` has no ONNX export: the exporter raises."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.special.i0(x) - 1.0


class WideUnexportable(nn.Module):
    """Exportable at widths <= 8 only (a shape-dependent branch)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.special.i0(x) - 1.0 if x.shape[-1] > 8 else x * 0.5


class _MisExported(torch.autograd.Function):
    """Identity in torch, exported as Neg: the graph runs and returns wrong values."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return x.clone()

    @staticmethod
    def symbolic(g, x):  # type: ignore[no-untyped-def]
        return g.op("Neg", x)


class MisExported(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _MisExported.apply(x)


class ValueBranch(nn.Module):
    """Data-dependent control flow: the tracer freezes the branch the first batch takes."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 2.0 if float(x.mean()) > 0.5 else x * 0.5


def make(module: nn.Module, cache: Path, **kwargs) -> tuple[OnnxRuntimeModel, list[str]]:
    notices: list[str] = []
    return OnnxRuntimeModel(module.eval(), cache, notice=notices.append, **kwargs), notices


def batch(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


def graphs(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.onnx"))


# -- equivalence -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("factory", "shape", "out_side"), [(IdentityConv, (2, 3, 16, 16), 16), (BoxBlur, (1, 3, 20, 12), 12),
                                                           (ShuffleX2, (3, 3, 8, 8), 16)])
def test_matches_torch_within_tolerance(tmp_path: Path, factory, shape, out_side) -> None:
    module = factory()
    backend, notices = make(module, tmp_path)
    with torch.inference_mode():
        for seed in range(3):  # the checked first batch and two served ones
            x = batch(*shape, seed=seed)
            out, ref = backend(x), module(x)
            assert out.shape == ref.shape and out.dtype == torch.float32 and out.shape[-1] == out_side
            assert float((out - ref).abs().max()) <= TOLERANCE
    report = backend.report()
    assert notices == [] and report["requested"] == "onnxruntime" and report["used"] == "onnxruntime"
    assert report["fallbacks"] == [] and report["shapes"]["x".join(map(str, shape))]["calls"] == 3
    assert report["shapes"]["x".join(map(str, shape))]["max_abs_diff"] <= TOLERANCE
    json.dumps(report, allow_nan=False)  # what a result records


def test_identity_is_exact_and_outputs_are_deterministic(tmp_path: Path) -> None:
    backend, _ = make(IdentityConv(), tmp_path)
    x = batch(1, 3, 8, 8)
    assert torch.equal(backend(x), x)
    shuffle, _ = make(ShuffleX2(), tmp_path)
    y = batch(2, 3, 8, 8)
    first = shuffle(y)  # export + check: onnxruntime's output, not torch's, so a rerun gives the same bits
    assert torch.equal(first, shuffle(y)) and torch.equal(first, shuffle(y.clone()))


def test_works_under_inference_mode_and_no_grad(tmp_path: Path) -> None:
    backend, _ = make(BoxBlur(), tmp_path)
    with torch.inference_mode():
        a = backend(batch(1, 3, 8, 8))
    with torch.no_grad():
        b = backend(batch(1, 3, 8, 8))
    assert torch.equal(a, b) and backend.report()["used"] == "onnxruntime"


def test_session_options_are_applied_checked_and_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime as ort

    opened: list = []
    real = ort.InferenceSession

    def spy(path, sess_options, providers):
        opened.append(sess_options)
        return real(path, sess_options=sess_options, providers=providers)

    monkeypatch.setattr(ort, "InferenceSession", spy)
    changed = {"intra_op_num_threads": 1, "enable_cpu_mem_arena": False, "graph_optimization_level": "basic",
               "allow_spinning": True}
    backend, notices = make(ShuffleX2(), tmp_path, session_options=changed)
    x = batch(2, 3, 8, 8)
    with torch.inference_mode():
        assert float((backend(x) - ShuffleX2()(x)).abs().max()) <= TOLERANCE  # the same first-batch check
    options = opened[0]
    assert (options.intra_op_num_threads, options.enable_cpu_mem_arena) == (1, False)
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "1"
    assert backend.report()["session"] == {**SESSION_OPTIONS, **changed} and notices == []
    shipped, _ = make(ShuffleX2(), tmp_path, threads=2)
    assert shipped.report()["session"]["intra_op_num_threads"] == 2
    with pytest.raises(ParameterError, match="^session_options has unknown key"):
        make(ShuffleX2(), tmp_path, session_options={"spinning": True})
    with pytest.raises(ParameterError, match="^session_options graph_optimization_level must be one of"):
        make(ShuffleX2(), tmp_path, session_options={"graph_optimization_level": "max"})


# -- the disk cache -------------------------------------------------------------------------------
def test_second_instance_hits_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    x = batch(1, 3, 8, 8)
    first, _ = make(ShuffleX2(), tmp_path)
    expected = first(x)
    assert first.exports == 1 and first.report()["shapes"]["1x3x8x8"]["cache"] == "miss"
    assert len(graphs(tmp_path)) == 1 and len(list(tmp_path.glob("*.json"))) == 1

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(torch.onnx, "export", no_export)
    second, notices = make(ShuffleX2(), tmp_path)
    assert torch.equal(second(x), expected)
    assert second.exports == 0 and notices == [] and second.report()["shapes"]["1x3x8x8"]["cache"] == "hit"
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*"))


def test_a_broken_sidecar_means_export_again(tmp_path: Path) -> None:
    x = batch(1, 3, 8, 8)
    make(BoxBlur(), tmp_path)[0](x)
    for sidecar in tmp_path.glob("*.json"):
        sidecar.write_text("{not json")
    again, notices = make(BoxBlur(), tmp_path)
    again(x)
    assert again.exports == 1 and notices == [] and again.report()["shapes"]["1x3x8x8"]["cache"] == "miss"


def test_cache_key_covers_weights_settings_config_code_shape_and_versions() -> None:
    versions = {"onnxruntime": "1.0", "onnx": "1.0"}
    base = _export.export_fields(Gain(2.0), (1, 3, 8, 8), 17, {"task": "dn-s25"}, versions)
    key = _export.cache_key(base)
    assert key == _export.cache_key(dict(base)) and len(key) == 64 and base["settings"] == {"gain": 2.0}
    changes = [{"weights": "other"}, {"settings": {"gain": 3.0}}, {"config": {"task": "dn-s50"}}, {"code": "other"},
               {"shape": [2, 3, 8, 8]}, {"opset": 18}, {"onnxruntime": "1.1"}, {"onnx": "1.1"}, {"torch": "0"},
               {"exporter": "dynamo"}]
    for change in changes:
        assert _export.cache_key({**base, **change}) != key, change
    # the fields follow the module: other weights and another baked-in attribute give other keys
    blur, other = BoxBlur(), BoxBlur()
    with torch.no_grad():
        other.conv.weight.mul_(2)
    assert _export.weights_identity(blur) != _export.weights_identity(other)
    assert _export.export_fields(Gain(3.0), (1, 3, 8, 8), 17, None, versions)["settings"] == {"gain": 3.0}


def test_baked_in_settings_and_weights_export_again(tmp_path: Path) -> None:
    x = batch(1, 3, 8, 8)
    assert torch.allclose(make(Gain(2.0), tmp_path)[0](x), x * 2.0)
    other, _ = make(Gain(3.0), tmp_path)  # a stale graph would give x * 2
    assert torch.allclose(other(x), x * 3.0) and other.exports == 1
    config, _ = make(Gain(3.0), tmp_path, config={"task": "another"})
    config(x)
    assert config.exports == 1 and len(graphs(tmp_path)) == 3


def test_default_cache_folder_follows_cem_bench_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEM_BENCH_CACHE", str(tmp_path / "cache"))
    assert _export.default_cache_dir() == tmp_path / "cache" / "onnx"
    backend, _ = make(BoxBlur(), None)  # type: ignore[arg-type]
    backend(batch(1, 3, 8, 8))
    assert len(graphs(tmp_path / "cache" / "onnx")) == 1
    monkeypatch.delenv("CEM_BENCH_CACHE")
    assert _export.default_cache_dir() == Path.home() / ".cache" / "cem-bench" / "onnx"


# -- one graph per exact shape, padding ------------------------------------------------------------
def test_each_exact_shape_gets_its_own_graph(tmp_path: Path) -> None:
    module = ShuffleX2()
    backend, _ = make(module, tmp_path, pad=False)
    shapes = [(1, 3, 8, 8), (2, 3, 8, 8), (1, 3, 12, 8), (1, 3, 8, 8)]
    with torch.inference_mode():
        for index, shape in enumerate(shapes):
            x = batch(*shape, seed=index)
            assert float((backend(x) - module(x)).abs().max()) <= TOLERANCE
    assert backend.exports == 3 and len(graphs(tmp_path)) == 3
    assert set(backend.report()["shapes"]) == {"1x3x8x8", "2x3x8x8", "1x3x12x8"}


def test_smaller_batches_are_padded_into_a_larger_graph(tmp_path: Path) -> None:
    module = ShuffleX2()
    backend, notices = make(module, tmp_path)
    x = batch(4, 3, 8, 8)
    with torch.inference_mode():
        full = backend(x)
        for count in (1, 3, 2):
            out = backend(x[:count])
            assert out.shape[0] == count and torch.equal(out, full[:count])
            assert float((out - module(x[:count])).abs().max()) <= TOLERANCE
        other_size = backend(batch(2, 3, 12, 8))  # another sample shape is its own graph
    assert other_size.shape == (2, 3, 24, 16) and backend.exports == 2 and notices == []
    assert backend.report()["shapes"]["4x3x8x8"]["padded_calls"] == 3


def test_padding_is_skipped_when_the_larger_shape_fell_back(tmp_path: Path) -> None:
    module = Unexportable()
    backend, notices = make(module, tmp_path)
    x = batch(4, 3, 8, 8)
    assert torch.equal(backend(x), module(x)) and torch.equal(backend(x[:2]), module(x[:2]))
    assert len(notices) == 1 and set(backend.report()["shapes"]) == {"4x3x8x8"}


# -- fallbacks -------------------------------------------------------------------------------------
def test_export_failure_falls_back_with_one_notice_and_is_remembered(tmp_path: Path, capfd: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    module = Unexportable()
    backend, notices = make(module, tmp_path)
    x = batch(1, 3, 8, 8)
    for _ in range(3):
        assert torch.equal(backend(x), module(x))
    captured = capfd.readouterr()
    assert "graph" not in captured.out and captured.err == ""  # the exporter's C++ graph dump is silenced
    assert len(notices) == 1 and "\n" not in notices[0]
    assert "runs on torch" in notices[0] and "export failed" in notices[0] and "i0" in notices[0]
    report = backend.report()
    assert report["used"] == "torch" and report["fallbacks"] == notices
    assert report["shapes"]["1x3x8x8"]["cache"] == "none" and not graphs(tmp_path)
    assert len(list(tmp_path.glob("*.failed"))) == 1

    def no_export(*args, **kwargs):
        raise AssertionError("a known failure was exported again")

    monkeypatch.setattr(torch.onnx, "export", no_export)
    again, notices = make(Unexportable(), tmp_path)
    assert torch.equal(again(x), module(x)) and "i0" in notices[0] and "to retry" in notices[0]
    assert again.report()["shapes"]["1x3x8x8"]["cache"] == "failed"


def test_wrong_graph_is_caught_by_the_check(tmp_path: Path) -> None:
    backend, notices = make(MisExported(), tmp_path)
    x = batch(1, 3, 8, 8)
    assert torch.equal(backend(x), x) and torch.equal(backend(x), x)  # torch's (identity), not Neg
    assert len(notices) == 1 and "disagrees with torch" in notices[0]
    state = backend.report()["shapes"]["1x3x8x8"]
    assert state["backend"] == "torch" and state["max_abs_diff"] > 0.5


def test_session_returning_wrong_values_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = BoxBlur()
    backend, notices = make(module, tmp_path)
    real_run = OnnxRuntimeModel._run
    calls = []

    def off_by_a_little(self, session, x):
        calls.append(1)
        return real_run(self, session, x) + 3 * TOLERANCE

    monkeypatch.setattr(OnnxRuntimeModel, "_run", off_by_a_little)
    x = batch(1, 3, 8, 8)
    with torch.inference_mode():
        assert torch.equal(backend(x), module(x)) and torch.equal(backend(x), module(x))
    assert len(calls) == 1  # only the check ran onnxruntime
    assert len(notices) == 1 and "max abs difference" in notices[0] and "tolerance" in notices[0]


def test_a_failing_session_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self, path):
        raise RuntimeError("cannot open\nsecond line")

    monkeypatch.setattr(OnnxRuntimeModel, "_session", broken)
    backend, notices = make(BoxBlur(), tmp_path)
    backend(batch(1, 3, 8, 8))
    assert notices == ["onnxruntime backend: BoxBlur at input 1x3x8x8 runs on torch "
                       "(onnxruntime failed: RuntimeError: cannot open)"]


def test_mixed_backends_are_reported(tmp_path: Path) -> None:
    module = WideUnexportable()
    backend, notices = make(module, tmp_path)
    narrow, wide = batch(1, 3, 8, 8), batch(1, 3, 8, 16)
    assert torch.equal(backend(narrow), module(narrow)) and torch.equal(backend(wide), module(wide))
    report = backend.report()
    assert report["used"] == "mixed" and report["fallbacks"] == notices and "1x3x8x16" in notices[0]
    assert report["shapes"]["1x3x8x8"]["backend"] == "onnxruntime"


def test_tracer_warnings_are_recorded_and_strict_mode_falls_back(tmp_path: Path) -> None:
    low, high = torch.full((1, 3, 4, 4), 0.25), torch.full((1, 3, 4, 4), 0.75)
    lenient, _ = make(ValueBranch(), tmp_path / "lenient")
    lenient(low)
    # What strict mode is for: the frozen branch passes the first-batch check ...
    assert lenient.report()["used"] == "onnxruntime" and lenient.report()["shapes"]["1x3x4x4"]["trace_warnings"]
    assert lenient.report()["trace_warnings"][0].startswith("test_onnxruntime_backend.py:")
    assert not torch.equal(lenient(high), ValueBranch()(high))  # ... and is wrong on another batch.
    strict, notices = make(ValueBranch(), tmp_path / "strict", strict_trace=True)
    assert torch.equal(strict(high), high * 2.0) and torch.equal(strict(low), low * 0.5)
    assert len(notices) == 1 and "tracer warned" in notices[0]
    again, notices = make(ValueBranch(), tmp_path / "lenient", strict_trace=True)  # a cache hit knows them too
    again(low)
    assert again.exports == 0 and len(notices) == 1 and again.report()["used"] == "torch"


def test_inputs_other_than_float32_on_cpu_run_on_torch(tmp_path: Path) -> None:
    backend, notices = make(BoxBlur().double(), tmp_path)
    x = batch(1, 3, 8, 8).double()
    assert backend(x).dtype == torch.float64 and "not float32 on cpu" in notices[0] and not graphs(tmp_path)


# -- other routes ----------------------------------------------------------------------------------
def test_gradient_calls_stay_on_torch(tmp_path: Path) -> None:
    backend, notices = make(BoxBlur(), tmp_path)
    x = batch(1, 3, 8, 8).requires_grad_(True)
    backend(x).sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    assert backend.grad_calls == 1 and backend.exports == 0 and notices == []
    assert backend.report()["used"] == "none" and backend.report()["grad_calls_on_torch"] == 1


def test_name_comes_from_the_module_and_the_resume_key_differs(tmp_path: Path) -> None:
    from cem_bench.cem.estimator import model_fingerprint

    module = ShuffleX2()
    module.name = "shuffle"
    backend, _ = make(module, tmp_path)
    assert backend.name == "shuffle"
    # samples of the two backends are never mixed in one resumed run
    assert model_fingerprint(backend) != model_fingerprint(module)


def test_compare_flags_shape_and_non_finite_mismatches() -> None:
    a = np.zeros((1, 3, 2, 2), np.float32)
    assert _export.compare(a, a) == (0.0, None)
    assert _export.compare(a, np.zeros((1, 3, 2, 1), np.float32))[1] is not None
    b = a.copy()
    b[0, 0, 0, 0] = np.nan
    assert _export.compare(a, b)[1] is not None and _export.compare(b, b) == (0.0, None)
