"""RestorationModel input conventions: ``pre_upsample`` (same-size networks used for SR)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from cem_bench.core.errors import CemBenchError
from cem_bench.core.tasks import get_task
from cem_bench.models.card import ModelCard
from cem_bench.models.loading import load_model


def identity() -> torch.nn.Module:
    return torch.nn.Identity()


def card(pre_upsample: bool, tasks: list[dict]) -> ModelCard:
    return ModelCard.model_validate({
        "name": "same-size", "description": "test", "tasks": tasks, "scale": 1,
        "architecture": {"source": "module", "name": "test_loading:identity"},
        "input": {"pre_upsample": pre_upsample}, "origin": {"paper": "none"}, "license": "MIT",
    })


MIXED = [{"task": "sr", "levels": [4]}, {"task": "dn", "levels": [50]}]


def test_pre_upsample_upsamples_sr_inputs_by_the_task_scale():
    model = load_model(card(True, MIXED))
    x = torch.rand(1, 3, 5, 6)
    model.configure(get_task("sr", scale=4))
    assert model.scale == 4
    expected = F.interpolate(x, scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.equal(model(x), expected)


def test_pre_upsample_leaves_same_size_tasks_alone():
    model = load_model(card(True, MIXED))
    model.configure(get_task("sr", scale=4))
    model.configure(get_task("dn", sigma=50))  # reconfiguring goes back to the same-size scale
    x = torch.rand(1, 3, 5, 6)
    assert model.scale == 1 and torch.equal(model(x), x)


def test_pre_upsample_refuses_untrained_scales_and_plain_models_refuse_sr():
    with pytest.raises(CemBenchError, match="trained for sr at 4, not sr-x2"):
        load_model(card(True, MIXED)).configure(get_task("sr", scale=2))
    with pytest.raises(CemBenchError, match="upscales x1"):
        load_model(card(False, MIXED)).configure(get_task("sr", scale=4))
