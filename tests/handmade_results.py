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


# --- several images x ROIs with real maps (the findings' statistics need images and per-block errors) ------

MAP_ROIS = ((0, 0), (24, 24))  # two 8-px ROIs of a 32x32 image: the 4x4 grid's opposite corner blocks
MAP_SAMPLES = 50


def effect_map(roi: tuple[int, int], near: float = 0.0, near_blocks: int = 0, far: float = 0.0,
               far_blocks: int = 0) -> list[list[float | None]]:
    """A 4x4 CE map (ROI block null): ``near_blocks`` blocks of CE ``near`` touching the ROI, ``far_blocks`` of
    CE ``far`` 16 px away from it (the far corner's row and column)."""
    ce: list[list[float | None]] = [[0.0] * 4 for _ in range(4)]
    r, c = roi[1] // 8, roi[0] // 8
    ce[r][c] = None
    touching = [(r, 1 - c if c == 0 else 2), (1 if r == 0 else 2, c), (1 if r == 0 else 2, 1 if c == 0 else 2)]
    for row, col in touching[:near_blocks]:
        ce[row][col] = near
    distant = [(3 - r, 3 - c), (3 - r, c), (r, 3 - c)]
    for row, col in distant[:far_blocks]:
        ce[row][col] = far
    return ce


def map_unit(model: str, task: str, image: str, roi: tuple[int, int], gain: float, ce: list[list[float | None]],
             stderr: float = 0.01, lam_di: float | None = None) -> dict[str, Any]:
    """A unit of a 32x32 image with an 8-px ROI, map ``ce`` (its errors all ``stderr``, 50 samples each) and
    everything derived from it, consistent like a scored unit."""
    unit = make_unit(model, task, image, psnr_input=INPUT_PSNR, psnr_roi=INPUT_PSNR + gain, psnr_gain=gain,
                     lam_di=lam_di)
    unit["key"] = f"{model}.{task}.{image}.r{roi[0]}-{roi[1]}-8"
    unit["image"]["size"] = [32, 32]
    unit["roi"] = {"x": roi[0], "y": roi[1], "size": 8}
    unit["grid"] = {"rows": 4, "cols": 4, "block": 8, "in_block": 8}
    unit["ce"] = ce
    unit["stderr"] = [[None if v is None else stderr for v in row] for row in ce]
    unit["n_samples"] = [[0 if v is None else MAP_SAMPLES for v in row] for row in ce]
    return derive_map_metrics(unit)


def map_result(model: str, task: str, units: list[dict[str, Any]], analytic: bool | None = None,
               multi_task: bool = False) -> dict[str, Any]:
    """An assembled result of ``model`` from :func:`map_unit` units."""
    return assemble(load_suite(TINY), units, card_for(model, task, analytic), multi_task=multi_task)


def image_grid(images: int = 13) -> list[tuple[int, str, int, tuple[int, int]]]:
    """``(image index, image id, ROI index, ROI)`` of ``images`` images x the two ROIs."""
    return [(i, f"img{i:02d}", k, roi) for i in range(images) for k, roi in enumerate(MAP_ROIS)]


def findings_map_records(images: int = 13) -> list[dict[str, Any]]:
    """Every model the three findings test, on ``images`` images x 2 ROIs, with known verdicts at 13 images:
    finding 1 supported (harmful distant blocks in 4 maps of 5, none for bicubic), finding 2 supported (channel
    attention adds 1-2 significant blocks, gain within ±0.02 dB), finding 3 supported (the mixed model has fewer
    blocks and a narrower range)."""
    grid = image_grid(images)
    records = []
    for m, model in enumerate(["carn-m-x4", "imdn-x4", "zoo-sr-swinir"]):
        records.append(map_result(model, "sr-x4", [
            map_unit(model, "sr-x4", name, roi, 1.0 + 0.1 * m + 0.01 * i, effect_map(
                roi, 0.5, 2, -0.4 if (i + k + m) % 5 else 0.0, 1), lam_di=10.0 + m) for i, name, k, roi in grid]))
    records.append(map_result("bicubic-x4", "sr-x4", [
        map_unit("bicubic-x4", "sr-x4", name, roi, 0.0, effect_map(roi, 0.3, 1)) for _, name, _, roi in grid]))
    for member, extra in (("ca", 1), ("noca", 0)):
        model = f"zoo-dn-rcan-{member}"
        records.append(map_result(model, "dn-s50", [
            map_unit(model, "dn-s50", name, roi, 3.0 + ((i * 7 + k * 3) % 5 - 2) * 0.01 * extra,
                     effect_map(roi, 0.3, 1 + extra * (1 + i % 2))) for i, name, k, roi in grid]))
    for task, single in {"dn-s50": "zoo-mt-dn", "dr": "zoo-mt-dr"}.items():
        for model, blocks, effect in ((single, lambda i: 2, lambda i: 0.4),
                                      ("zoo-mt-all", lambda i: 1 + i % 2, lambda i: 0.2 + 0.01 * (i % 3))):
            records.append(map_result(model, task, [
                map_unit(model, task, name, roi, 2.0, effect_map(roi, effect(i), blocks(i), -0.2, 1))
                for i, name, _, roi in grid], multi_task=model == "zoo-mt-all"))
    return records


def write_suite_results(root: Path, suite: str, results: list[dict[str, Any]]) -> None:
    """``results`` under ``root/<suite>/<task>/<model>.json`` (a folder name is all a report reads)."""
    for record in results:
        write_result(record, root / suite / record["task"]["label"] / f"{record['model']['name']}.json",
                     schema="suite_result")
