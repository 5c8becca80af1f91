"""Exporting a module to ONNX at one exact input shape, and the on-disk cache of exported graphs.

A graph is cached as ``<cache>/<key>.onnx`` with a ``<key>.json`` sidecar (the key's fields and the tracer's
warnings); an export that raised leaves ``<key>.failed`` (its one-line reason) so that later runs of the
same configuration fall back at once instead of paying for the failing export again. ``key`` is the sha256
of :func:`export_fields`: everything an exported graph depends on. Files appear whole or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from cem_bench.core.errors import CemBenchError
from cem_bench.core.parsing import parse_json

OPSET = 17
# torch.onnx.export(..., dynamo=False). The dynamo exporter needs onnxscript, is ~25x slower to export and
# cannot write opset 17 here (its opset-18 graph fails onnx's down-converter); if a later torch drops the
# TorchScript exporter, move to dynamo at opset 18: the exporter is part of the cache key for that reason.
EXPORTER = "torchscript"
PACKAGES = ("onnxruntime", "onnx")
INSTALL_HINT = "pip install 'cem-bench[onnx]'"

Shape = tuple[int, ...]


def require_packages() -> dict[str, str]:
    """``{package: version}`` of onnxruntime and onnx; a one-line error when either is missing."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = str(importlib.import_module(name).__version__)
        except ImportError:
            raise CemBenchError(f"the onnxruntime backend needs the {name} package ({INSTALL_HINT})") from None
    return versions


def weights_identity(module: nn.Module) -> str:
    """sha256 of every parameter and buffer (name, dtype, shape, bytes): the weights themselves, whatever
    file or card they came from."""
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{name}|{flat.dtype}|{tuple(tensor.shape)}".encode())
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def module_settings(module: nn.Module) -> dict[str, Any]:
    """Plain Python attributes of the module and its submodules (a noise level, a scale argument, a
    pre-upsampling factor): the trace bakes them into the graph as constants, so they are part of the key."""
    plain = (bool, int, float, str, type(None))
    found: dict[str, Any] = {}
    for prefix, sub in module.named_modules():
        for key, value in vars(sub).items():
            if key.startswith("_") or key == "training":
                continue
            if isinstance(value, plain) or (isinstance(value, (tuple, list)) and all(isinstance(v, plain) for v in value)):
                found[f"{prefix}.{key}" if prefix else key] = list(value) if isinstance(value, tuple) else value
    return found


def code_identity(module: nn.Module) -> str:
    """sha256 of the source files of the module's own classes (torch's are covered by its version): a fixed
    architecture file gets a new key instead of a graph traced from the old code."""
    digest = hashlib.sha256()
    classes = sorted({type(sub) for sub in module.modules()}, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
    for cls in classes:
        digest.update(f"{cls.__module__}.{cls.__qualname__}".encode())
        if cls.__module__.split(".")[0] == "torch":
            continue
        try:
            digest.update(Path(inspect.getfile(cls)).read_bytes())
        except (OSError, TypeError):  # defined in a notebook or built in: its name has to do
            pass
    return digest.hexdigest()


def module_fields(module: nn.Module, opset: int, config: Mapping[str, Any] | None,
                  versions: Mapping[str, str]) -> dict[str, Any]:
    """Everything but the shape that decides an exported graph of ``module`` (see :func:`export_fields`)."""
    return {"weights": weights_identity(module), "settings": module_settings(module), "config": dict(config or {}),
            "class": f"{type(module).__module__}.{type(module).__qualname__}", "code": code_identity(module),
            "opset": opset, "exporter": EXPORTER, "torch": torch.__version__, **dict(versions)}


def export_fields(module: nn.Module, shape: Shape, opset: int, config: Mapping[str, Any] | None,
                  versions: Mapping[str, str]) -> dict[str, Any]:
    """Everything that decides the graph of ``module`` at ``shape``: hashed into the cache key, kept in the sidecar."""
    return {**module_fields(module, opset, config, versions), "shape": list(shape)}


def cache_key(fields: Mapping[str, Any]) -> str:
    """sha256 (hex) of ``export_fields(...)``: the cached files' name."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def default_cache_dir() -> Path:
    """``$CEM_BENCH_CACHE/onnx``, else ``~/.cache/cem-bench/onnx`` (the weights cache is ``$CEM_BENCH_CACHE``,
    else ``~/.cache/cem-bench/weights``: the graphs stay inside the folder the user chose)."""
    root = os.environ.get("CEM_BENCH_CACHE")
    return Path(root) / "onnx" if root else Path.home() / ".cache" / "cem-bench" / "onnx"


def read_sidecar(path: Path) -> list[str] | None:
    """The tracer's warnings kept beside a cached graph; None when the graph or its sidecar is missing or
    unreadable (then the graph is exported again)."""
    if not path.is_file():
        return None
    try:
        return [str(line) for line in parse_json(path.with_suffix(".json").read_text())["trace_warnings"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_failure(path: Path) -> str | None:
    """The reason an earlier export of this key failed, or None."""
    try:
        return path.with_suffix(".failed").read_text().strip() or None
    except OSError:
        return None


def record_failure(path: Path, reason: str) -> None:
    with contextlib.suppress(OSError):  # a read-only cache only costs a retry next time
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace_with(path.with_suffix(".failed"), reason.encode())


def export(module: nn.Module, batch: torch.Tensor, path: Path, fields: Mapping[str, Any], opset: int) -> list[str]:
    """Export ``module`` at the exact shape of ``batch`` to ``path`` (and its sidecar); returns the tracer's
    warnings (unique first lines), which say where Python control flow was frozen into the graph."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".part")
    os.close(handle)
    try:
        with warnings.catch_warnings(record=True) as caught, torch.no_grad(), _native_stdout_silenced():
            warnings.simplefilter("always")  # recorded, so the exporter's deprecation notices stay quiet too
            torch.onnx.export(module, (batch.detach(),), temporary, opset_version=opset, dynamo=False,
                              input_names=["input"], output_names=["output"], do_constant_folding=True)
        traced = list(dict.fromkeys(f"{Path(w.filename).name}:{w.lineno}: {first_line(w.message)[:90]}"
                                    for w in caught if issubclass(w.category, torch.jit.TracerWarning)))
        sidecar = {"fields": dict(fields), "trace_warnings": traced}
        _replace_with(path.with_suffix(".json"), json.dumps(sidecar, indent=1, default=str).encode())
        os.chmod(temporary, 0o644)  # mkstemp makes it 0600
        os.replace(temporary, path)  # the graph last: a graph on disk always has its sidecar
        return traced
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _replace_with(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def compare(reference: np.ndarray, candidate: np.ndarray) -> tuple[float, str | None]:
    """(max abs difference over finite entries, why ``candidate`` cannot stand in for ``reference`` or None).

    >>> a = np.zeros((1, 3, 2, 2), np.float32)
    >>> compare(a, a + 0.5)
    (0.5, None)
    >>> compare(a, a[..., :1])[1]
    "output shape (1, 3, 2, 1) != torch's (1, 3, 2, 2)"
    """
    if reference.shape != candidate.shape:
        return float("inf"), f"output shape {candidate.shape} != torch's {reference.shape}"
    finite_ref, finite_cand = np.isfinite(reference), np.isfinite(candidate)
    if not np.array_equal(finite_ref, finite_cand) or not np.array_equal(
            reference[~finite_ref], candidate[~finite_cand], equal_nan=True):
        return float("inf"), "non-finite outputs differ from torch's"
    if not finite_ref.any():
        return 0.0, None
    diff = np.abs(reference[finite_ref].astype(np.float64) - candidate[finite_cand].astype(np.float64))
    return float(diff.max()), None


@contextlib.contextmanager
def _native_stdout_silenced() -> Iterator[None]:
    """File descriptor 1 to /dev/null: a failing TorchScript export prints its whole graph there from C++."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def first_line(error: object) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else ""
