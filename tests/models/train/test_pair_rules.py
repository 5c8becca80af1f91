"""The pair rules on hand-made configs: each rule accepts a controlled pair and catches one broken member."""

from __future__ import annotations

from typing import Any

import pytest

from cem_bench.models.train.pair_rules import pair_problems, parameter_count, per_task_schedule, zoo_problems
from cem_bench.models.train.recipe import TrainConfig

BACKBONE = {"source": "project", "name": "zoo_srresnet", "kwargs": {"num_feat": 8, "num_block": 1}}
TASKS = {"dn": {"task": "dn", "levels": [50]}, "dr": {"task": "dr"}, "sr": {"task": "sr", "levels": [4]}}


def config(name: str, tasks: tuple[str, ...], iterations: int, validate_every: int = 100, **changes: Any) -> TrainConfig:
    """A zoo II config of the toy multi-task family; ``changes`` override top-level or ``train.`` fields."""
    train = {"iterations": iterations, "validate_every": validate_every, "lr": 1e-3, "samples": "pair"}
    train.update({key[6:]: value for key, value in changes.items() if key.startswith("train.")})
    fields = {"name": name, "description": name, "finding": 3, "pair": "toy", "differs": f"trained on {'+'.join(tasks)}",
              "paper": "-", "architecture": BACKBONE, "pre_upsample": "sr" in tasks,
              "tasks": [TASKS[t] for t in tasks], "data": "sun-hays80", "train": train}
    fields.update({key: value for key, value in changes.items() if not key.startswith("train.")})
    return TrainConfig.model_validate(fields)


def family(**mixed_changes: Any) -> list[TrainConfig]:
    """Three single-task members of 1,000 iterations and the three-task mix (3,000, validated every 300)."""
    return [config("zoo-t-dn", ("dn",), 1000), config("zoo-t-dr", ("dr",), 1000), config("zoo-t-sr", ("sr",), 1000),
            config("zoo-t-all", ("dn", "dr", "sr"), 3000, 300, **mixed_changes)]


def problems(members: list[TrainConfig], params: dict[str, int] | None = None) -> list[str]:
    return pair_problems("toy", members, params or {member.name: 100 for member in members})


def test_a_mix_of_k_tasks_gets_k_times_the_iterations_of_each_single_task_member():
    assert problems(family()) == []
    mixed = family()[-1]
    assert per_task_schedule(mixed) == family()[0].train


@pytest.mark.parametrize("iterations, validate_every, expected", [
    (1500, 150, "iterations per task: zoo-t-dn 1000, zoo-t-dr 1000, zoo-t-sr 1000, zoo-t-all 500"),  # less per task
    (6000, 600, "zoo-t-all 2000"),  # more per task
    (3000, 150, "the schedule per task differs"),  # validations out of step with the single-task members'
    (3001, 300, "must be multiples of its 3 tasks"),
])
def test_a_mixed_member_with_other_per_task_training_is_refused(iterations, validate_every, expected):
    members = family()
    members[-1] = config("zoo-t-all", ("dn", "dr", "sr"), iterations, validate_every)
    found = problems(members)
    assert len(found) == 1 and expected in found[0]


@pytest.mark.parametrize("field, value", [("train.lr", 5e-4), ("train.lr_min", 0.0), ("train.seed", 1),
                                          ("train.patch", 96), ("train.samples", "name"), ("train.loss", "balanced_l1")])
def test_the_rest_of_the_schedule_must_be_equal(field, value):
    found = problems(family(**{field: value}))
    assert len(found) == 1 and "the schedule per task differs" in found[0]


def test_an_unequal_mix_is_refused():
    assert problems(family(mix=[1.0, 1.0, 1.0])) == []
    found = problems(family(mix=[0.5, 0.3, 0.2]))
    assert found == ["zoo-t-all: mix [0.5, 0.3, 0.2] is not equal, so its tasks get unequal training"]


def test_members_share_data_start_and_backbone():
    other_data = family(data="skimage")
    assert any("different data" in p for p in problems(other_data))
    wider = family(architecture={**BACKBONE, "kwargs": {"num_feat": 16, "num_block": 1}})
    assert any("differ in architecture" in p for p in problems(wider))
    same_claim = family(differs="trained on dn")
    assert any("differs" in p for p in problems(same_claim))


def test_sizes_agree_within_two_percent_unless_size_is_the_factor():
    members = family()
    params = {member.name: 1000 for member in members}
    assert problems(members, params | {"zoo-t-all": 1020}) == []
    assert "sizes differ by more than 2%" in problems(members, params | {"zoo-t-all": 1021})[0]
    depth = [config(f"zoo-d-b{n}", ("dn",), 1000, differs=f"{n} blocks", pair="depth-sr") for n in (2, 12)]
    assert pair_problems("depth-sr", depth, {"zoo-d-b2": 100, "zoo-d-b12": 300}) == []


def test_the_first_zoo_keeps_identical_schedules():
    first = [config("zoo-t-dn", ("dn",), 600, data="skimage"), config("zoo-t-all", ("dn", "dr"), 600, data="skimage")]
    assert problems(first) == []
    first[-1] = config("zoo-t-all", ("dn", "dr"), 1200, 200, data="skimage")
    assert problems(first) == ["pair toy: first-zoo members must share one schedule"]


def test_shipped_first_zoo_members_may_wait_beside_zoo_ii_ones():
    first = [config("zoo-t-dn", ("dn",), 600, data="skimage"), config("zoo-t-all", ("dn", "dr"), 600, data="skimage")]
    new = [config("zoo-t-sr", ("sr",), 1000), config("zoo-t-all3", ("dn", "dr", "sr"), 3000, 300, differs="all three")]
    params = {member.name: 100 for member in first + new}
    assert zoo_problems(first + new, params, shipped={"zoo-t-dn", "zoo-t-all"}) == []
    assert any("different data" in p for p in zoo_problems(first + new, params, shipped={"zoo-t-dn"}))
    broken = [new[0], config("zoo-t-all3", ("dn", "dr", "sr"), 1500, 150, differs="all three")]
    assert any("iterations per task" in p for p in zoo_problems(first + broken, params, shipped={"zoo-t-dn", "zoo-t-all"}))


def test_parameter_count_builds_the_network():
    assert parameter_count(family()[0]) == parameter_count(family()[-1]) > 0
