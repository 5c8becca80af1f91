"""The shipped reference zoo: every config has its card, weights and training summary, and they agree.

The summary's ``config_sha256`` ties weights to the exact config they were trained from: editing a
config without retraining (`cem-bench train CONFIG`) fails here.

A config is *pending* (planned, not trained yet) when it has none of the three: no weights, no summary
and no card (cards only come with weights). A pending config must still validate and keep its pair's
rules; once training writes the three files it is checked like every shipped one. Weights, a summary or
a card alone, without the other two, fail here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
import torch
from conftest import needs_assets
from PIL import Image

from cem_bench import Protocol, score
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import file_sha256, read_rgb
from cem_bench.models import get_card, load_model, registered_cards
from cem_bench.models.loading import build_network
from cem_bench.models.train.base_weights import load_base
from cem_bench.models.train.loop import card_skeleton
from cem_bench.models.train.outputs import MAX_WEIGHTS_BYTES, WEIGHTS_DIR, ZOO_DIR
from cem_bench.models.train.pair_rules import parameter_count, per_task_schedule, zoo_problems
from cem_bench.models.train.recipe import Schedule, read_config
from cem_bench.models.weights import find_weights
from model_registry import CARDS_DIR

ALL_CONFIGS = sorted((ZOO_DIR / "configs").glob("*.yaml"))


def outputs_of(path: Path) -> list[Path]:
    """The files training writes for a config (weights, summary, card) that exist."""
    name = path.stem
    return [p for p in (WEIGHTS_DIR / f"{name}.pt", WEIGHTS_DIR / f"{name}.train.json", CARDS_DIR / f"{name}.yaml")
            if p.exists()]


CONFIGS = [path for path in ALL_CONFIGS if outputs_of(path)]  # trained and shipped
PENDING = [path for path in ALL_CONFIGS if not outputs_of(path)]  # planned: none of the three files yet


def test_the_zoo_has_every_pair():
    names = {path.stem for path in CONFIGS}
    zoo_cards = {name for name in registered_cards() if name.startswith("zoo-")}
    assert zoo_cards == names and len(names) >= 13  # the first zoo, plus zoo II members as they are trained
    assert {read_config(path).finding for path in CONFIGS} == {1, 2, 3}
    assert all(len(outputs_of(path)) == 3 for path in CONFIGS), "weights, summary and card come together"


def check_pending(path: Path) -> None:
    """A pending config validates, is named after its file and builds a network of the right output size."""
    config = read_config(path)
    assert config.name == path.stem
    network = build_network(card_skeleton(config))
    with torch.no_grad():
        out = network(torch.rand(1, 3, 16, 16))
    assert out.shape == (1, 3, 16 * config.scale, 16 * config.scale)


@pytest.mark.parametrize("path", PENDING, ids=lambda path: path.stem)
def test_a_pending_config_is_valid_and_builds(path: Path):
    check_pending(path)


@pytest.mark.parametrize("edit, match", [
    (lambda text: text.replace("pre_upsample: true", "pre_upsample: false"), "sr levels"),  # sr at scale 1
    (lambda text: text.replace("num_block: 6", "num_block: 6\n    num_blocks: 6"), "unexpected keyword"),
    (lambda text: text.replace("samples: pair", "samples: pairs"), "samples"),
])
def test_a_broken_pending_config_fails(tmp_path, edit, match):
    original = (ZOO_DIR / "configs" / "zoo-mt-all3.yaml").read_text()
    broken = tmp_path / "zoo-mt-all3.yaml"
    broken.write_text(edit(original))
    assert broken.read_text() != original
    with pytest.raises(CemBenchError, match=match):
        check_pending(broken)


def test_a_pending_mixed_model_with_less_training_per_task_breaks_its_pair():
    configs = {path.stem: read_config(path) for path in ALL_CONFIGS}
    mixed = configs["zoo-mtca-all"]
    configs["zoo-mtca-all"] = mixed.model_copy(update={"train": configs["zoo-mtca-dn"].train})  # the first zoo's habit
    params = {name: parameter_count(config) for name, config in configs.items()}
    problems = zoo_problems(configs.values(), params, shipped={path.stem for path in CONFIGS})
    assert len(problems) == 1 and "pair multitask-ca: the schedule per task differs" in problems[0]
    assert "zoo-mtca-all 5000" in problems[0]


@needs_assets
@pytest.mark.parametrize("path", [p for p in ALL_CONFIGS if read_config(p).init is not None], ids=lambda path: path.stem)
def test_fine_tuning_starts_exactly_at_the_published_model(path: Path):
    """The network before its first step computes what the registered model of the same checkpoint computes."""
    config = read_config(path)
    published = [name for name in registered_cards() if (card := get_card(name)).weights is not None
                 and card.weights.sha256 == config.init.sha256]
    assert published, f"no registered card has the weights {config.init.file}"
    torch.manual_seed(config.train.seed)
    network = build_network(card_skeleton(config)).eval()
    load_base(network, config.init, config.train.seed)
    x = torch.rand(1, 3, 24, 20)
    with torch.no_grad():
        assert torch.equal(network(x), load_model(published[0]).network(x))


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
    with torch.no_grad():  # 16 px: BSRN's spatial attention needs 15
        out = model(torch.rand(1, 3, 16, 16))
    assert out.shape == (1, 3, 16 * config.scale, 16 * config.scale) and torch.isfinite(out).all()


def test_members_of_a_pair_share_data_seed_schedule_per_task_and_size():
    configs = [read_config(path) for path in ALL_CONFIGS]
    params = {config.name: parameter_count(config) for config in configs}
    assert zoo_problems(configs, params, shipped={path.stem for path in CONFIGS}) == []
    pairs: dict[str, list] = defaultdict(list)
    for config in configs:
        pairs[config.pair].append(config)
    assert set(pairs) == {"rcan-dn", "rcan-sr", "multitask", "multitask-ca", "depth-sr", "bsrn-sr"}
    for pair, switches in (("rcan-dn", {"attention"}), ("rcan-sr", {"attention"}), ("bsrn-sr", {"attention", "window"})):
        # the attention variants differ only in the attention switch (and, for bsrn, the window it pools over)
        kwargs = [{k: v for k, v in m.architecture.kwargs.items() if k not in switches} for m in pairs[pair]]
        assert all(k == kwargs[0] for k in kwargs)
        assert len({m.architecture.name for m in pairs[pair]}) == 1
    for pair in ("multitask", "multitask-ca"):  # one backbone, different data
        assert len({str(m.architecture) for m in pairs[pair]}) == 1


def test_the_pending_multitask_members_follow_the_per_task_rule():
    """The zoo II multi-task members train each task as long as its single-task member: a mix of k tasks for k
    times the iterations, validated k times less often (cem_bench.models.train.pair_rules)."""
    pending = {path.stem: read_config(path) for path in PENDING}
    for mixed, singles in (("zoo-mt-all3", ("zoo-mt-sr",)), ("zoo-mtca-all", ("zoo-mtca-dn", "zoo-mtca-dr"))):
        if mixed not in pending:
            continue  # trained: the shipped checks and the pair rules above cover it
        for single in singles:
            if single in pending:
                k = len(pending[mixed].tasks)
                assert pending[mixed].train.iterations == k * pending[single].train.iterations
                assert per_task_schedule(pending[mixed]) == pending[single].train


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
