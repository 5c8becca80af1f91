"""A network that raises on an input is one line naming the model, the input size and the likely cause;
the smoke checks meet it at the suite's smallest input, not only on the 96-px validation crop."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cem_bench.core.errors import ModelForwardError
from cem_bench.core.tasks import get_task
from cem_bench.models.card import ModelCard
from cem_bench.models.failures import FALLBACK, likely_cause
from cem_bench.models.loading import load_model
from cem_bench.models.smoke import smoke_check, validation_image

MIN_SIDE = 40  # NeedsLargeInput's default: like RFDN's attention on small crops


def card(name: str = "needs-large", builder: str = "helpers:NeedsLargeInput") -> ModelCard:
    return ModelCard.model_validate({
        "name": name, "description": "test", "tasks": [{"task": "dn"}],
        "architecture": {"source": "module", "name": builder},
        "origin": {"paper": "none"}, "license": "MIT",
    })


def raised(function, *args) -> BaseException:
    try:
        function(*args)
    except Exception as error:  # noqa: BLE001 - the test wants torch's own error object
        return error
    raise AssertionError("did not raise")


CASES = {
    "pooling too small": (lambda: raised(F.max_pool2d, torch.zeros(1, 3, 8, 8), 16), "input is too small for the network"),
    "kernel larger than input": (lambda: raised(F.conv2d, torch.zeros(1, 3, 2, 2), torch.zeros(1, 3, 5, 5)), "too small"),
    "reflect padding": (lambda: raised(F.pad, torch.zeros(1, 3, 2, 2), (3, 3, 3, 3), "reflect"), "too small"),
    "window partition": (lambda: raised(lambda: torch.zeros(1, 3, 10, 10).view(1, 3, 3, 4, 3, 4)), "sides of some multiple"),
    "skip connection sizes": (lambda: raised(lambda: torch.zeros(1, 3, 5, 5) + torch.zeros(1, 3, 4, 4)), "sides of some multiple"),
    "channels": (lambda: raised(F.conv2d, torch.zeros(1, 3, 8, 8), torch.zeros(4, 1, 3, 3)), "input.color"),
    "arguments": (lambda: raised(nn.Conv2d(3, 3, 1), torch.zeros(1, 3, 2, 2), 0.1), "input.noise_map"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_likely_causes_read_from_real_torch_messages(case):
    make, expected = CASES[case]
    assert expected in likely_cause(make(), "8x8")


def test_unknown_errors_get_the_fallback():
    assert likely_cause(ValueError("something else"), "8x8") == FALLBACK


def test_a_forward_failure_is_one_line_naming_model_size_and_cause():
    model = load_model(card())
    model.configure(get_task("dn", sigma=50))
    assert model(torch.rand(1, 3, MIN_SIDE, MIN_SIDE)).shape == (1, 3, MIN_SIDE, MIN_SIDE)
    with pytest.raises(ModelForwardError) as caught:
        model(torch.rand(2, 3, 24, 32))
    message = str(caught.value)
    assert "\n" not in message and not caught.value.out_of_memory
    assert message.startswith("model needs-large failed on dn-s50 with a 32x24 input (width x height, batch of 2): "
                              "the 32x24 input is too small for the network")
    assert "Output size is too small" in message  # torch's own words follow, shortened


def test_smoke_check_tries_the_smallest_input():
    model, task = load_model(card()), get_task("dn", sigma=50)
    report = smoke_check(model, task, smallest=validation_image()[:48, :48])
    assert report.smallest_input == (48, 48) and report.summary().endswith("; also 48x48 (the suite's smallest input)")
    assert smoke_check(model, task).smallest_input is None  # the 96-px crop alone passes
    with pytest.raises(ModelForwardError, match="with a 32x32 input"):
        smoke_check(model, task, smallest=validation_image()[:32, :32])
