"""Hand-made suite results (no scoring): unit records with chosen metrics, assembled like the runner does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cem_bench.aggregate import METRICS, assemble
from cem_bench.results import write_result
from cem_bench.suites import load_suite
from model_registry import get_card

TINY = Path(__file__).resolve().parent / "commands" / "tiny_suite.yaml"
SHA = "0" * 64
PROTOCOL = {"id": "cem-v1/coarse-fine/b8-c1-f0-tol0.01-s0/skimage-8", "version": 1, "sampling": "coarse-fine",
            "block": 8, "coarse": 1, "fine": 0, "tol": 0.01, "seed": 0, "bank": {"name": "skimage-8", "sha256": SHA},
            "hash": "0123456789abcdef"}
TASKS = {"dn-s50": {"label": "dn-s50", "name": "dn", "version": 1, "sigma": 50.0},
         "sr-x2": {"label": "sr-x2", "name": "sr", "version": 1, "scale": 2}}


def make_unit(model: str, task: str, image: str, **metrics: Any) -> dict[str, Any]:
    """A schema-valid unit record whose metrics are ``metrics`` (others 0 / None)."""
    values = {name: 0 for name in METRICS} | {"negative_fraction": None, "causal_radius": None,
                                              "diffusion_index": None, "lam_di": None} | metrics
    return {
        "key": f"{model}.{task}.{image}.r0-0-8", "fingerprint": "fedcba9876543210", "protocol": PROTOCOL,
        "task": TASKS[task], "model": {"name": model, "weights_sha256": None, "params": 0, "card_sha256": SHA},
        "image": {"id": image, "source": "skimage:coffee", "crop": [0, 0, 16], "sha256": SHA, "size": [16, 16],
                  "lq_sha256": SHA},
        "roi": {"x": 0, "y": 0, "size": 8}, "grid": {"rows": 2, "cols": 2, "block": 8, "in_block": 8},
        "metrics": values, "effect_range": {"range": 0.0, "max": 0.0, "min": 0.0, "argmax": None, "argmin": None},
        "ce": [[None, 0.0], [0.0, 0.0]], "n_samples": [[0, 1], [1, 1]], "stderr": [[None, None], [None, None]],
        "forwards": 4, "seconds": 0.1, "environment": {"package_version": "0", "git_revision": {}, "device": "cpu"},
    }


def make_result(model: str, task: str, gains: list[float], multi_task: bool = False, **metrics: Any) -> dict[str, Any]:
    """An assembled (model, task) result of the tiny suite with one unit per gain value."""
    units = [make_unit(model, task, f"img{i}", psnr_gain=gain, **metrics) for i, gain in enumerate(gains)]
    return assemble(load_suite(TINY), units, get_card(model), multi_task=multi_task)


def write_results(root: Path, results: list[dict[str, Any]]) -> None:
    for record in results:
        write_result(record, root / "tiny" / record["task"]["label"] / f"{record['model']['name']}.json",
                     schema="suite_result")
