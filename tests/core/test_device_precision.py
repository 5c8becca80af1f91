"""A CUDA device computes in full float32: no TF32 in cuDNN convolutions or matrix products."""

from __future__ import annotations

import torch

from cem_bench.core import device


def test_resolving_a_cuda_device_turns_tf32_off(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)  # PyTorch's default for convolutions
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high")  # TF32 matrix products allowed
    try:
        assert device.resolve_device("cuda").type == "cuda"
        assert torch.backends.cudnn.allow_tf32 is False
        assert torch.get_float32_matmul_precision() == "highest"
    finally:
        torch.set_float32_matmul_precision(previous)


def test_resolving_the_cpu_leaves_the_settings_alone(monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)
    assert device.resolve_device("cpu").type == "cpu"
    assert torch.backends.cudnn.allow_tf32 is True
