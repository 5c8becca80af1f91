"""Where models run and how many inputs go through them at once."""

from __future__ import annotations

import os

import torch

from cem_bench.core.errors import ParameterError

MAX_AUTO_BATCH = 64
AUTO_BATCH_BYTES = 2 << 30  # activation budget for the automatic batch size


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available, else CPU; asking for CUDA without one is an error. A CUDA device
    computes in full float32 (:func:`full_float32_on_cuda`).

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ParameterError("device", "cuda asked for, but no CUDA device is available")
    if name != "cpu" and not name.startswith("cuda"):
        raise ParameterError("device", f"must be auto, cpu or cuda[:N], got {name!r}")
    device = torch.device(name)
    if device.type == "cuda":
        full_float32_on_cuda()
    return device


def full_float32_on_cuda() -> None:
    """Convolutions and matrix products in full float32 on CUDA. PyTorch lets cuDNN use TF32 (a 10-bit
    mantissa) for convolutions by default on Ampere and later GPUs; a CE of a few hundredths of a dB must not
    depend on the GPU generation, so every path that resolves a CUDA device turns it off (``--fast`` is the
    declared reduced-precision mode, through autocast, and is unaffected)."""
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")  # matrix products: no TF32 (PyTorch's default, made sure)


def auto_batch_size(out_pixels: int, device: torch.device, budget: int | None = None) -> int:
    """A batch that keeps ~64 float32 feature maps per sample inside the activation budget: ``budget`` bytes
    (a backend's own, e.g. onnxruntime's), else :data:`AUTO_BATCH_BYTES` (four times that on CUDA).

    >>> auto_batch_size(256 * 256, torch.device("cpu"))
    64
    >>> auto_batch_size(256 * 256, torch.device("cpu"), budget=64 << 20), auto_batch_size(80 * 80, torch.device("cpu"), budget=64 << 20)
    (2, 20)
    """
    cuda = device.type == "cuda"
    per_sample = out_pixels * 64 * 4 * 2
    budget = budget if budget is not None else AUTO_BATCH_BYTES * (4 if cuda else 1)
    return int(max(1, min(MAX_AUTO_BATCH * (4 if cuda else 1), budget // per_sample)))


def _cgroup_limit() -> int | None:
    """The memory limit of this process's cgroup (v2, then v1), or None when there is none."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as handle:
                text = handle.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # v1 says "no limit" with a huge number
            return int(text)
    return None


def device_memory(device: torch.device) -> int | None:
    """Bytes of memory a run on ``device`` can use: the GPU's total, or the machine's RAM (capped by a
    container's cgroup limit); None when it cannot be told."""
    if device.type == "cuda":
        return int(torch.cuda.get_device_properties(device).total_memory)
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None
    limit = _cgroup_limit()
    return physical if limit is None else min(physical, limit)
