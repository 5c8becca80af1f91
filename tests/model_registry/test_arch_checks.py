"""The shared architecture checks fail when they should: a check that cannot fail proves nothing."""

from __future__ import annotations

import pytest
import torch
from arch_checks import assert_forward, assert_same_state, seeded
from torch import nn


def _small() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 3, 3), nn.Dropout())


def test_seeded_repeats_and_is_in_eval_mode() -> None:
    first, second = seeded(_small), seeded(_small)
    assert not first.training and not first[1].training
    assert_same_state(first.state_dict(), second.state_dict())
    other = seeded(_small, seed=1)
    with pytest.raises(AssertionError):
        assert_same_state(first.state_dict(), other.state_dict())


def test_forward_check_catches_shape_and_non_finite_values() -> None:
    x = torch.rand(1, 3, 8, 8)
    assert torch.equal(assert_forward(nn.Identity(), x, (1, 3, 8, 8)), x)
    with pytest.raises(AssertionError, match="shape"):
        assert_forward(nn.Identity(), x, (1, 3, 16, 16))
    with pytest.raises(AssertionError, match="NaN"):
        assert_forward(lambda t: t / 0 - t / 0, x, (1, 3, 8, 8))


def test_state_check_catches_a_missing_key_and_a_changed_tensor() -> None:
    state = seeded(lambda: nn.Conv2d(3, 4, 3)).state_dict()
    assert_same_state(state, dict(state))
    with pytest.raises(AssertionError, match="keys differ"):
        assert_same_state({"weight": state["weight"]}, state)
    changed = {**state, "bias": state["bias"] + 1e-6}
    with pytest.raises(AssertionError, match="bias"):
        assert_same_state(state, changed)
