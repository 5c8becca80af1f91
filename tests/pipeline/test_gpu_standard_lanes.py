"""The GPU script's lanes (benchmarks/gpu_standard.sh) name models it can score and that still need it."""

from __future__ import annotations

import re
from pathlib import Path

from cem_bench.models.catalog import registered_cards
from cem_bench.pipeline.plan import plan
from cem_bench.pipeline.suites import load_suite

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_standard.sh"


def lane_models() -> list[str]:
    block = re.search(r"^LANES=\((.*?)^\)", SCRIPT.read_text(), flags=re.S | re.M)
    assert block, "LANES=( ... ) not found in gpu_standard.sh"
    lanes = re.findall(r'"([^"]*)"', block.group(1))
    return [name for lane in lanes for group in lane.split() for name in group.split(",")]


def test_every_lane_model_is_registered_and_listed_once():
    models = lane_models()
    assert models, "no model in the lanes"
    assert len(models) == len(set(models)), "a model is listed in two lanes (two processes would score it)"
    assert sorted(set(models) - set(registered_cards())) == []


def test_no_lane_model_has_a_complete_standard_result_or_awaits_retraining():
    """A complete result needs no device time; a first-zoo model would be scored with weights about to be
    replaced by its zoo II retraining (a pending config has no card at all). Edit LANES when a model
    completes or lands (docs/standard_suite.md)."""
    results = ROOT / "results" / "standard"
    tasks: dict[str, set[str]] = {}
    for unit in plan(load_suite("standard"), check_images=False):
        tasks.setdefault(unit.model, set()).add(unit.task.label)
    complete = {model for model, labels in tasks.items()
                if all((results / label / f"{model}.json").exists() for label in labels)}
    cards = registered_cards()
    models = set(lane_models())
    # every first-zoo model (trained on the scikit-image pictures, no `training` block) is being retrained
    first_zoo = {name for name in models if name.startswith("zoo-")
                 and (cards[name].training is None or cards[name].training.data != "sun-hays80")}
    assert sorted(models & complete) == []
    assert sorted(first_zoo) == []
