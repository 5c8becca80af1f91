"""Hand-made suite results (no scoring): unit records with chosen metrics, assembled like the runner does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cem_bench.core.geometry import ROI, BlockGrid
from cem_bench.core.metrics import effect_range as effect_range_of
from cem_bench.core.metrics import map_metrics
from cem_bench.core.metrics.catalog import stored_metric
from cem_bench.models import ModelCard, get_card, registered_cards
from cem_bench.pipeline.aggregate import METRICS, assemble
from cem_bench.pipeline.suites import load_suite
from cem_bench.records.io import ce_array, write_result

TINY = Path(__file__).resolve().parent / "fixtures" / "tiny_suite.yaml"
SHA = "0" * 64
PROTOCOL = {"id": "cem-v1/coarse-fine/b8-c1-f0-tol0.01-s0/skimage-8", "version": 1, "sampling": "coarse-fine",
            "block": 8, "coarse": 1, "fine": 0, "tol": 0.01, "seed": 0, "bank": {"name": "skimage-8", "sha256": SHA},
            "hash": "0123456789abcdef"}
TASKS = {"dn-s50": {"label": "dn-s50", "name": "dn", "version": 1, "sigma": 50.0},
         "sr-x2": {"label": "sr-x2", "name": "sr", "version": 1, "scale": 2},
         "sr-x4": {"label": "sr-x4", "name": "sr", "version": 1, "scale": 4},
         "dr": {"label": "dr", "name": "dr", "version": 1}}


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


INPUT_PSNR = 20.0


def make_result(model: str, task: str, gains: list[float], multi_task: bool = False, effect_range: float = 0.0,
                **metrics: Any) -> dict[str, Any]:
    """An assembled (model, task) result of the tiny suite with one unit per gain value, consistent with
    itself like a scored one (reports refuse any other): ROI PSNR = input PSNR + gain, the map's one
    non-ROI block with an effect is ``effect_range``, and every map metric follows from the map."""
    units = []
    for i, gain in enumerate(gains):
        unit = make_unit(model, task, f"img{i}", psnr_input=INPUT_PSNR, psnr_roi=INPUT_PSNR + gain, psnr_gain=gain,
                         **metrics)
        unit["ce"] = [[None, effect_range], [0.0, 0.0]]
        units.append(derive_map_metrics(unit))
    return assemble(load_suite(TINY), units, get_card(model), multi_task=multi_task)


def derive_map_metrics(unit: dict[str, Any]) -> dict[str, Any]:
    """``unit`` with its map metrics and effect range recomputed from its ``ce`` map, as the runner does."""
    ce, grid, (width, height) = ce_array(unit["ce"]), unit["grid"], unit["image"]["size"]
    derived = map_metrics(ce, ROI(**unit["roi"]), BlockGrid(height, width, grid["block"], grid["block"] // grid["in_block"]))
    unit["metrics"] |= {name: stored_metric(value) for name, value in derived.items()}
    unit["effect_range"] = effect_range_of(ce)
    return unit


def write_results(root: Path, results: list[dict[str, Any]]) -> None:
    for record in results:
        write_result(record, root / "tiny" / record["task"]["label"] / f"{record['model']['name']}.json",
                     schema="suite_result")


def card_for(model: str, task: str, analytic: bool | None = None) -> ModelCard:
    """The registered card of ``model``, or a minimal made-up one (e.g. zoo members not trained yet)."""
    card = registered_cards().get(model)
    if card is not None and analytic in (None, card.analytic):
        return card
    return ModelCard.model_validate({
        "name": model, "description": "hand-made test model", "tasks": [{"task": TASKS[task]["name"]}],
        "architecture": {"source": "project", "name": "identity"}, "origin": {"paper": "test"}, "license": "MIT",
        "analytic": bool(analytic)})


def make_model_result(model: str, task: str, rows: list[dict[str, Any]], analytic: bool | None = None,
                      multi_task: bool = False) -> dict[str, Any]:
    """An assembled result of any model name: one unit per dict of metrics (``image`` and ``ce`` optional)."""
    units = []
    for i, row in enumerate(rows):
        metrics = {name: value for name, value in row.items() if name not in ("image", "ce")}
        unit = make_unit(model, task, row.get("image", f"img{i}"), **metrics)
        unit["ce"] = row.get("ce", unit["ce"])
        units.append(unit)
    return assemble(load_suite(TINY), units, card_for(model, task, analytic), multi_task=multi_task)


def unit_rows(n: int = 3, **metrics: Any) -> list[dict[str, Any]]:
    """``n`` rows for :func:`make_model_result`: a list value varies per unit, a scalar (or ``ce``) is shared.

    ``positive``/``negative`` default to 2/1 and ``zero`` to the rest of the 2x2 test grid's 3 blocks.
    """
    rows = []
    for i in range(n):
        row = {name: (value[i] if isinstance(value, list) and name != "ce" else value)
               for name, value in metrics.items()}
        row.setdefault("positive", 2)
        row.setdefault("negative", 1)
        row.setdefault("zero", max(0, 3 - row["positive"] - row["negative"]))
        rows.append(row)
    return rows


def findings_records() -> list[dict[str, Any]]:
    """A small hand-made suite with every model the findings report looks at (plus analytic ones)."""
    records = []
    sr = ["zoo-sr-rcan-ca", "zoo-sr-rcan-noca", "zoo-sr-rcan-win8", "zoo-sr-swinir", "fsrcnn-x4"]
    for k, model in enumerate(sr):
        records.append(make_model_result(model, "sr-x4", unit_rows(
            psnr_gain=[1 + 0.1 * k, 1.2 + 0.1 * k, 0.9 + 0.05 * k], diffusion_index=[50 - 3 * k, 40, 45],
            lam_di=[10 + k, 12 + k, 8 + k], negative_fraction=[0.3, 0.4, 0.2], positive=[2, 1, 2],
            effect_range=[0.5, 0.6, 0.7], ce=[[None, 0.1 * k], [-0.2, 0.4]])))
    records.append(make_model_result("bicubic-x4", "sr-x4", unit_rows(psnr_gain=0.0, diffusion_index=90.0)))
    for model, gain, nonzero in [("zoo-dn-rcan-ca", 3.01, 2), ("zoo-dn-rcan-noca", 3.0, 2), ("zoo-dn-rcan-win8", 2.9, 1)]:
        records.append(make_model_result(model, "dn-s50", unit_rows(
            psnr_gain=[gain, gain + 0.02, gain - 0.01], positive=[nonzero, nonzero, 1], negative=[0, 1, 0],
            effect_range=[0.2, 0.3, 0.25], negative_fraction=[0.0, 0.5, 0.0])))
    records.append(make_model_result("identity", "dn-s50", unit_rows(positive=0, negative=0)))
    for task, single in {"dn-s50": "zoo-mt-dn", "dr": "zoo-mt-dr"}.items():
        records.append(make_model_result(single, task, unit_rows(positive=[3, 3, 2], negative=[0, 0, 1],
                                                                 effect_range=[0.9, 0.8, 1.0], psnr_gain=2.0)))
        records.append(make_model_result("zoo-mt-all", task, unit_rows(positive=[1, 2, 1], negative=0,
                                                                       effect_range=[0.4, 0.5, 0.6], psnr_gain=1.9),
                                         multi_task=True))
    return records
