"""The shipped reference zoo: every config has its card, weights and training summary, and they agree.

The summary's ``config_sha256`` ties weights to the exact config they were trained from: editing a
config without retraining (`cem-bench train CONFIG`) fails here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
import torch
from PIL import Image

from cem_bench import Protocol, score
from cem_bench.core.images import file_sha256, read_rgb
from cem_bench.models import get_card, load_model, registered_cards
from cem_bench.models.train.outputs import MAX_WEIGHTS_BYTES, WEIGHTS_DIR, ZOO_DIR
from cem_bench.models.train.recipe import Schedule, read_config
from cem_bench.models.weights import find_weights

CONFIGS = sorted((ZOO_DIR / "configs").glob("*.yaml"))


def test_the_zoo_has_every_pair():
    names = {path.stem for path in CONFIGS}
    zoo_cards = {name for name in registered_cards() if name.startswith("zoo-")}
    assert zoo_cards == names and len(names) == 13
    assert {read_config(path).finding for path in CONFIGS} == {1, 2, 3}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.stem)
def test_card_weights_and_summary_match_the_config(path: Path):
    config = read_config(path)
    card = get_card(config.name)
    assert card.architecture == config.architecture and card.tasks == config.tasks
    assert card.scale == config.scale and card.input.pre_upsample == config.pre_upsample
    weights = find_weights(card.weights)
    assert weights is not None and weights.resolve().parent == WEIGHTS_DIR.resolve()
    assert weights.stat().st_size < MAX_WEIGHTS_BYTES and file_sha256(weights) == card.weights.sha256
    summary = json.loads((WEIGHTS_DIR / f"{config.name}.train.json").read_text())
    assert summary["config_sha256"] == file_sha256(path), "config changed since training: retrain it"
    assert summary["weights_sha256"] == card.weights.sha256
    assert Schedule.model_validate(summary["schedule"]) == config.train
    assert summary["iterations"] == config.train.iterations
    assert summary["beats_baseline"] and all(v["psnr"] > v["baseline"] for v in summary["validation"].values())
    assert len(summary["validation"]) == len(config.tasks)
    model = load_model(config.name)
    assert model.parameter_count() == card.params == summary["params"]
    with torch.no_grad():
        out = model(torch.rand(1, 3, 12, 12))
    assert out.shape == (1, 3, 12 * config.scale, 12 * config.scale) and torch.isfinite(out).all()


def test_members_of_a_pair_share_data_seed_and_schedule():
    pairs: dict[str, list] = defaultdict(list)
    for path in CONFIGS:
        config = read_config(path)
        pairs[config.pair].append(config)
    assert set(pairs) == {"rcan-dn", "rcan-sr", "multitask", "depth-sr"}
    for members in pairs.values():
        assert len({member.train for member in members}) == 1
        assert len({member.data for member in members}) == 1  # same training images
        assert len({member.differs for member in members}) == len(members)
    for pair in ("rcan-dn", "rcan-sr"):  # the attention variants differ only in the attention switch
        kwargs = [{k: v for k, v in m.architecture.kwargs.items() if k != "attention"} for m in pairs[pair]]
        assert all(k == kwargs[0] for k in kwargs)
    assert len({str(m.architecture) for m in pairs["multitask"]}) == 1  # one backbone, different data


@pytest.mark.parametrize("task", ["dn", "dr"])
def test_the_multitask_zoo_model_scores_on_each_of_its_tasks(tmp_path, task):
    image = tmp_path / "crop.png"
    Image.fromarray(read_rgb("skimage:astronaut")[200:232, 200:232]).save(image)
    run = score("zoo-mt-all", task, image, "8,8,16", protocol=Protocol(coarse=1, fine=0), device="cpu",
                progress=False)
    assert run.result.ce.shape == (4, 4)
    assert run.record["model"]["weights_sha256"] == get_card("zoo-mt-all").weights.sha256
    assert run.record["psnr_roi"] > 0


def test_docs_zoo_shows_the_measured_results_table():
    from cem_bench.models.train.outputs import results_table

    docs = (Path(__file__).resolve().parents[2] / "docs" / "zoo.md").read_text()
    assert results_table() in docs, "docs/zoo.md's results table is stale: paste cem_bench.models.train.outputs.results_table()"
