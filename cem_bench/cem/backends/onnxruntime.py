"""The ``onnxruntime`` backend: a loaded module served by ONNX Runtime on CPU, one exported graph per exact
input shape, each checked against torch before it is trusted.

The first time :class:`OnnxRuntimeModel` sees an input shape it

1. exports the module to ONNX at that *static* shape (opset 17, TorchScript exporter), or reuses the graph
   cached on disk under a key of the weights, the module's configuration, its code, the shape, the export
   settings and the torch/onnx/onnxruntime versions (``_export.py``). Graphs with dynamic axes gave wrong
   values for some registered models (craft-x4, zoo-sr-swinir at another size), so every shape is its own;
2. opens an ``InferenceSession`` (CPUExecutionProvider, :data:`SESSION_OPTIONS`: all graph optimisations,
   ``torch.get_num_threads()`` intra-op threads, spinning off: spinning threads steal the cores of a loaded
   machine);
3. runs torch on the same first batch and compares: the shape is served by onnxruntime only if the outputs
   have the same shape, the same non-finite entries and differ by at most :data:`TOLERANCE`. Otherwise, or
   when the export or the session raises, that shape runs on torch for good and ``notice`` gets one line.

The checked first batch returns onnxruntime's output, so the same input always gives the same output.
Calls that need gradients (grad mode on and an input that requires grad: the estimator's gradient screen)
go to torch; they are counted, not reported as fallbacks. A batch smaller than one already served for the
same sample shape is padded (its last sample repeated) and sliced, so ragged last batches reuse that graph
instead of paying an export and a check each; this relies on a sample's output not depending on the others
in its batch, which the estimator assumes of every model anyway (its map does not depend on the batch size).

Tracing freezes a branch on a tensor *value*, and a first-batch check cannot see that. The tracer's warnings
are kept per graph and reported; ``strict_trace=True`` falls back whenever there were any. The registered
models that warn (craft-x4, zoo-sr-swinir, ffdnet-color) warn about shapes only, which are fixed within an
exact-shape graph, so it is off by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cem_bench.cem.backends import _export
from cem_bench.cem.backends._base import Notice, ServedModel, stderr_notice
from cem_bench.core.errors import ParameterError

# Max |onnxruntime - torch| on a shape's first batch, in output units ([0, 1] images). Measured on every
# registered model (one graph per shape): <= 2.9e-6 at a 64x64 output for all but pan-x4, whose own float
# error is larger (1.2e-5 at 64x64, 7.2e-5 at 256x256, 9.6e-5 at batch 8 of 64x64 inputs); torch itself moves
# by up to 4.8e-7 between 1 and 2 threads. Broken graphs are off by far more (2.4e-3 .. 0.84, and 3e19 where
# the model itself diverges). 1e-4 is also CROP_TOLERANCE, the project's "same output" for the crop check:
# 0.0255 of an 8-bit level, so the ROI PSNR moves only where a value sits that close to a rounding edge
# (measured: <= 2e-5 dB, 5.1e-4 dB for pan-x4; see docs/performance.md for why the map then stays standard).
TOLERANCE = 1e-4

Shape = tuple[int, ...]

# The automatic batch's activation budget under onnxruntime (core.device.auto_batch_size; torch's CPU budget is
# 2 GiB): batch 1 above a 64x64 output, 2 at 64x64, 8 at 32x32. Measured with
# benchmarks/batch_size.py --backends torch,onnxruntime (2 loaded CPU cores, docs/performance.md): per image,
# onnxruntime was flat or slower with larger batches at 64x64 LR (imdn-x4 flat from 1 to 8, 1.6x slower at 64;
# craft-x4 1.2-1.3x slower at 4 and 8) and at a 80x80 window (dncnn-color-blind 1.3-1.4x slower at 8 and 64); only a
# tiny network on a tiny window gained (fsrcnn-x4 at 24x24 LR: 8 ms at batch 1, 3 ms at 8). Batch 1 also means
# one graph for the whole-input forwards (one export and check), and no batch-64 graph of craft-x4, whose
# measurement passed 12 GB of memory and was stopped.
AUTO_BATCH_BYTES = 4 << 20

# The session's settings, by onnxruntime's own names; ``intra_op_num_threads`` None means torch's thread count
# (0 would be onnxruntime's default: one per physical core), ``allow_spinning`` False because spinning threads
# steal the cores of a loaded machine. benchmarks/backends.py --variants compares them with others, each
# under the same first-batch check (docs/performance.md, "Session options").
SESSION_OPTIONS: dict[str, Any] = {"intra_op_num_threads": None, "inter_op_num_threads": 1, "allow_spinning": False,
                                   "enable_cpu_mem_arena": True, "graph_optimization_level": "all",
                                   "execution_mode": "sequential"}
_LEVELS = {"disable": "ORT_DISABLE_ALL", "basic": "ORT_ENABLE_BASIC", "extended": "ORT_ENABLE_EXTENDED",
           "all": "ORT_ENABLE_ALL"}
_MODES = {"sequential": "ORT_SEQUENTIAL", "parallel": "ORT_PARALLEL"}


@dataclass
class ShapeState:
    """How one exact input shape is served."""

    backend: str  # "onnxruntime" or "torch"
    cache: str  # "hit", "miss" (exported now), "none" (no graph) or "failed" (an earlier export failed)
    max_abs_diff: float | None = None
    reason: str | None = None
    trace_warnings: list[str] = field(default_factory=list)
    session: Any = None  # onnxruntime.InferenceSession when backend == "onnxruntime"
    calls: int = 0
    padded_calls: int = 0

    def describe(self) -> dict[str, Any]:
        diff = self.max_abs_diff
        return {"backend": self.backend, "cache": self.cache,
                "max_abs_diff": None if diff is None or not np.isfinite(diff) else float(f"{diff:.3g}"),
                "reason": self.reason, "calls": self.calls, "padded_calls": self.padded_calls,
                "trace_warnings": len(self.trace_warnings)}


class OnnxRuntimeModel(nn.Module):
    """``module`` served by onnxruntime on CPU, shape by shape, with a checked torch fallback."""

    def __init__(self, module: nn.Module, cache_dir: str | Path | None = None, config: Mapping[str, Any] | None = None,
                 notice: Notice = stderr_notice, tolerance: float = TOLERANCE, opset: int = _export.OPSET,
                 threads: int | None = None, strict_trace: bool = False, pad: bool = True,
                 session_options: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.versions = _export.require_packages()
        self.module = module.eval()
        self.name = str(getattr(module, "name", type(module).__name__))
        self.cache_dir = Path(cache_dir) if cache_dir is not None else _export.default_cache_dir()
        self.config = dict(config or {})  # what the caller knows is baked in (e.g. the task), beside the module's own
        self.notice, self.tolerance, self.opset, self.threads = notice, tolerance, opset, threads
        self.strict_trace, self.pad = strict_trace, pad
        unknown = sorted(set(session_options or {}) - set(SESSION_OPTIONS))
        if unknown:
            raise ParameterError("session_options", f"has unknown key(s) {', '.join(unknown)}")
        self.session_options = {**SESSION_OPTIONS, **dict(session_options or {})}
        for key, known in (("graph_optimization_level", _LEVELS), ("execution_mode", _MODES)):
            if self.session_options[key] not in known:
                raise ParameterError("session_options", f"{key} must be one of {', '.join(known)}")
        if self.session_options["intra_op_num_threads"] is None:
            self.session_options["intra_op_num_threads"] = threads if threads is not None else torch.get_num_threads()
        self.shapes: dict[Shape, ShapeState] = {}
        self.exports = 0  # graphs exported by this instance (cache misses)
        self.grad_calls = 0
        self.fallbacks: list[str] = []
        self._fields: dict[str, Any] | None = None

    def report(self) -> dict[str, Any]:
        """What ran: ``requested``/``used``/``fallbacks`` (see ``ServedModel``) and the per-shape detail."""
        used = {state.backend for state in self.shapes.values()}
        summary = "none" if not used else used.pop() if len(used) == 1 else "mixed"
        warned = dict.fromkeys(line for state in self.shapes.values() for line in state.trace_warnings)
        return {"requested": "onnxruntime", "used": summary, "fallbacks": list(self.fallbacks),
                "onnxruntime": self.versions["onnxruntime"], "onnx": self.versions["onnx"], "opset": self.opset,
                "exporter": _export.EXPORTER, "tolerance": self.tolerance, "session": dict(self.session_options),
                "auto_batch_bytes": AUTO_BATCH_BYTES,
                "grad_calls_on_torch": self.grad_calls,
                "shapes": {"x".join(map(str, shape)): state.describe() for shape, state in self.shapes.items()},
                "trace_warnings": list(warned)}

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() and batch.requires_grad:
            self.grad_calls += 1
            return self.module(batch)
        shape = tuple(batch.shape)
        target = None if shape in self.shapes or not self.pad else self._padding_target(shape)
        if target is None:
            return self._serve(batch)
        state = self.shapes[target]
        state.padded_calls += 1
        if state.backend == "torch":
            return self.module(batch)  # no point computing padding rows on torch
        filler = batch[-1:].expand(target[0] - shape[0], *shape[1:])
        return self._run(state.session, torch.cat([batch, filler]))[: shape[0]]

    def _padding_target(self, shape: Shape) -> Shape | None:
        """The smallest larger batch already prepared for the same sample shape, if any."""
        larger = [known for known in self.shapes if known[1:] == shape[1:] and known[0] > shape[0]]
        return min(larger) if larger else None

    def _serve(self, batch: torch.Tensor) -> torch.Tensor:
        shape = tuple(batch.shape)
        state = self.shapes.get(shape)
        if state is None:
            state, output = self._prepare(batch)
            self.shapes[shape] = state
            state.calls += 1
            return output
        state.calls += 1
        return self.module(batch) if state.backend == "torch" else self._run(state.session, batch)

    def _run(self, session: Any, batch: torch.Tensor) -> torch.Tensor:
        array = batch.detach().contiguous().numpy()
        return torch.from_numpy(session.run(None, {session.get_inputs()[0].name: array})[0])

    def _fallback(self, batch: torch.Tensor, reason: str, cache: str, reference: torch.Tensor | None = None,
                  diff: float | None = None, traced: list[str] | None = None) -> tuple[ShapeState, torch.Tensor]:
        line = f"onnxruntime backend: {self.name} at input {'x'.join(map(str, batch.shape))} runs on torch ({reason})"
        self.fallbacks.append(line)
        self.notice(line)
        output = reference if reference is not None else self.module(batch)
        return ShapeState("torch", cache, diff, reason, list(traced or [])), output

    def _prepare(self, batch: torch.Tensor) -> tuple[ShapeState, torch.Tensor]:
        """Export or reuse the graph of this exact shape, open it and check it on ``batch``."""
        if batch.device.type != "cpu" or batch.dtype != torch.float32:
            return self._fallback(batch, f"input is {batch.dtype} on {batch.device}, not float32 on cpu", "none")
        if self._fields is None:  # hashing the weights and code once per instance is enough
            self._fields = _export.module_fields(self.module, self.opset, self.config, self.versions)
        fields = {**self._fields, "shape": list(batch.shape)}
        path = self.cache_dir / f"{_export.cache_key(fields)}.onnx"
        failed = _export.read_failure(path)
        if failed is not None:
            return self._fallback(batch, f"{failed}; cached, delete {path.with_suffix('.failed')} to retry", "failed")
        traced = _export.read_sidecar(path)
        cache = "hit" if traced is not None else "miss"
        if traced is None:
            try:
                traced = _export.export(self.module, batch, path, fields, self.opset)
            except Exception as error:  # noqa: BLE001 - any exporter error means: run this shape on torch
                reason = f"export failed: {type(error).__name__}: {_export.first_line(error)}"
                _export.record_failure(path, reason)
                return self._fallback(batch, reason, "none")
            self.exports += 1
        if traced and self.strict_trace:
            return self._fallback(batch, f"the tracer warned: {traced[0]}", cache, traced=traced)
        with torch.no_grad():  # not inference_mode: a fallback output may be used outside it
            reference = self.module(batch)
        if not isinstance(reference, torch.Tensor):
            return self._fallback(batch, f"the module returns {type(reference).__name__}, not a tensor", cache,
                                  traced=traced)
        try:
            session = self._session(path)
            output = self._run(session, batch)
        except Exception as error:  # noqa: BLE001 - onnxruntime raises its own exception types
            return self._fallback(batch, f"onnxruntime failed: {type(error).__name__}: {_export.first_line(error)}",
                                  cache, reference, traced=traced)
        diff, problem = _export.compare(reference.detach().numpy(), output.numpy())
        if problem is None and diff > self.tolerance:
            problem = f"max abs difference {diff:.3g} > tolerance {self.tolerance:g}"
        if problem is not None:
            return self._fallback(batch, f"disagrees with torch: {problem}", cache, reference, diff, traced)
        return ShapeState("onnxruntime", cache, diff, None, traced, session), output

    def _session(self, path: Path) -> Any:
        import onnxruntime as ort

        settings = self.session_options
        options = ort.SessionOptions()
        options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, _LEVELS[settings["graph_optimization_level"]])
        options.intra_op_num_threads = int(settings["intra_op_num_threads"])
        options.inter_op_num_threads = int(settings["inter_op_num_threads"])
        options.execution_mode = getattr(ort.ExecutionMode, _MODES[settings["execution_mode"]])
        options.enable_cpu_mem_arena = bool(settings["enable_cpu_mem_arena"])
        spinning = "1" if settings["allow_spinning"] else "0"
        options.add_session_config_entry("session.intra_op.allow_spinning", spinning)
        options.add_session_config_entry("session.inter_op.allow_spinning", spinning)
        options.log_severity_level = 3  # errors only
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


def check(device: torch.device) -> None:
    """One line when onnxruntime cannot serve here: its packages are missing, or the device is not the CPU."""
    _export.require_packages()
    if device.type != "cpu":
        raise ParameterError("device", f"must be cpu for the onnxruntime backend, got {device}")


def create(module: nn.Module, device: torch.device | str = "cpu", config: Mapping[str, Any] | None = None,
           notice: Notice | None = None, cache_dir: str | Path | None = None) -> ServedModel:
    """Serve ``module`` (loaded, configured, on the CPU, in eval mode) with onnxruntime; ``config`` names what
    the caller bakes into it beyond its weights and attributes (e.g. the task), for the cache key."""
    check(torch.device(device))
    wrapper = OnnxRuntimeModel(module, cache_dir, config, notice or stderr_notice)
    return ServedModel(wrapper, wrapper.report)
