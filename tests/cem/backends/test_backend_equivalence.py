"""The onnxruntime backend gives torch's maps: for one model of each family whose weights are on this machine,
``score(..., backend="onnxruntime")`` and ``score(..., backend="torch")`` give ROI PSNRs and CE maps that agree
under the regeneration rules (``cem_bench/pipeline/reproduction.py``: 5e-3 dB, threshold flips allowed), with
no fallback. A small image and protocol (40x40, ROI 32 at 8,8: 9 blocks, coarse 2, fine 2) keep each case short;
so do one thread (on 2 shared cores torch's thread pool collapses under load, one thread does not) and, for
the three models whose export takes ~10 s a shape, batch 1 (one graph; batched and padded graphs are
covered by the other families and by test_onnxruntime_backend.py).

The real checkpoints need the shared assets; the zoo's weights ship in the repository. Acceleration is on for
the two cheap models whose ROI depends on part of the image (the crop check then runs under onnxruntime) and
off elsewhere: the gradient screen runs on torch whichever backend serves the forwards.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import needs_assets

from cem_bench import Protocol, score
from cem_bench.cem.acceleration import Acceleration
from cem_bench.core.images import read_rgb
from cem_bench.core.tasks import get_task
from cem_bench.models import load_model
from cem_bench.pipeline.reproduction import MEASURED_TOL, compare_maps

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

ROI_SPEC = "8,8,32"
# (model, task, task options, accelerations on, batch size): one model per architecture family
FAMILIES = [
    pytest.param("box-blur-3", "dn", {"sigma": 50}, True, None, id="box_blur"),
    pytest.param("fsrcnn-x4", "sr", {"scale": 4}, True, None, id="fsrcnn", marks=needs_assets),
    pytest.param("carn-m-x2", "sr", {"scale": 2}, False, None, id="carn_m", marks=needs_assets),
    pytest.param("craft-x4", "sr", {"scale": 4}, False, 1, id="CRAFT", marks=needs_assets),
    pytest.param("imdn-x4", "sr", {"scale": 4}, False, None, id="imdn", marks=needs_assets),
    pytest.param("pan-x4", "sr", {"scale": 4}, False, None, id="pan", marks=needs_assets),
    pytest.param("dncnn-color-blind", "dn", {"sigma": 25}, False, None, id="DnCNN", marks=needs_assets),
    pytest.param("ffdnet-color", "dn", {"sigma": 25}, False, None, id="ffdnet", marks=needs_assets),
    pytest.param("prenet6-rain100l", "dr", {}, False, 1, id="prenet", marks=needs_assets),
    pytest.param("prn6-rain100l", "dr", {}, False, None, id="prn", marks=needs_assets),
    pytest.param("zoo-sr-rcan-ca", "sr", {"scale": 4}, False, None, id="zoo_rcan"),
    pytest.param("zoo-mt-dn", "dn", {"sigma": 50}, False, None, id="zoo_srresnet"),
    pytest.param("zoo-sr-msrresnet-b2", "sr", {"scale": 4}, False, None, id="MSRResNet"),
    pytest.param("zoo-sr-swinir", "sr", {"scale": 4}, False, 1, id="zoo_swinir"),
]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def chelsea() -> np.ndarray:
    """Fur and whiskers: ROI PSNRs of 20-30 dB, like the suites' images (a flat, near-perfect ROI would make
    one 8-bit rounding flip worth more than the tolerance, on any two CPUs alike)."""
    return read_rgb("skimage:chelsea")[76:116, 136:176].copy()


@pytest.mark.parametrize(("name", "task_name", "options", "accelerate", "batch_size"), FAMILIES)
def test_onnxruntime_maps_agree_with_torch(name: str, task_name: str, options: dict, accelerate: bool,
                                           batch_size: int | None, chelsea: np.ndarray, cache: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEM_BENCH_CACHE", str(cache))
    model, task = load_model(name), get_task(task_name, **options)
    runs = {backend: score(model, task, chelsea, ROI_SPEC, protocol=Protocol(coarse=2, fine=2), device="cpu",
                           batch_size=batch_size, progress=False, backend=backend,
                           acceleration=Acceleration() if accelerate else Acceleration.off()).record
            for backend in ("torch", "onnxruntime")}
    reference, served = runs["torch"], runs["onnxruntime"]
    used = served["environment"]["backend"]
    assert used["used"] == "onnxruntime" and used["fallbacks"] == [], used["fallbacks"]
    if batch_size == 1:  # every forward, the unmodified input's included, ran through the one graph
        assert list(used["shapes"].values())[0]["calls"] == served["forwards"] and len(used["shapes"]) == 1
    assert served["protocol"]["id"] == reference["protocol"]["id"]
    assert abs(served["psnr_roi"] - reference["psnr_roi"]) <= MEASURED_TOL
    problems, _ = compare_maps(reference, served, name)
    assert problems == []
    both = np.array(reference["n_samples"]) == np.array(served["n_samples"])
    gaps = np.abs(np.array(reference["ce"], float) - np.array(served["ce"], float))[both & (np.array(reference["n_samples"]) > 0)]
    assert (gaps <= MEASURED_TOL).all()
