"""Checks shared by the architecture tests (``test_arch_*.py``).

- :data:`needs_assets`: skip a test when ``../shared/assets`` (or ``$CEM_BENCH_ASSETS``) is absent, so a
  fresh install runs the random-weight tests only.
- :func:`seeded`: a network built under a fixed torch seed, in eval mode.
- :func:`assert_forward`: one forward pass has the expected shape and finite values.
- :func:`assert_same_state` / :func:`assert_loads_strictly`: the model a card loads holds exactly the
  checkpoint's tensors (same keys, bit-equal values), read independently of the card.

A module, not ``conftest.py``: the other test folders import ``needs_assets`` with ``from conftest import``,
and a second ``conftest`` module here would replace ``tests/conftest.py`` in ``sys.modules`` for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

import pytest
import torch
from torch import nn

from cem_bench.core.assets import asset_path
from cem_bench.models.loading import RestorationModel, load_model
from cem_bench.models.weights import read_state_dict

needs_assets = pytest.mark.skipif(asset_path("checkpoints") is None, reason="shared assets not available")

Net = TypeVar("Net", bound=nn.Module)


def seeded(build: Callable[[], Net], seed: int = 0) -> Net:
    """``build()`` under ``torch.manual_seed(seed)``, in eval mode: random weights that repeat."""
    torch.manual_seed(seed)
    return build().eval()


def assert_forward(net: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Run ``net(x)`` without gradients; assert the output's shape and that every value is finite."""
    with torch.inference_mode():
        y = net(x)
    assert tuple(y.shape) == shape, f"output shape {tuple(y.shape)}, expected {shape}"
    assert torch.isfinite(y).all(), "output has NaN or infinite values"
    return y


def assert_same_state(loaded: Mapping[str, torch.Tensor], raw: Mapping[str, torch.Tensor]) -> None:
    """The same keys, and every tensor bit-equal (a silently skipped or reshaped key would show here)."""
    assert set(loaded) == set(raw), f"keys differ: only loaded {sorted(set(loaded) - set(raw))[:5]}, " \
                                    f"only in checkpoint {sorted(set(raw) - set(loaded))[:5]}"
    for key, value in raw.items():
        assert torch.equal(loaded[key], value), key


def assert_loads_strictly(card: str, checkpoint: str, network: type[nn.Module], *, key: str | None = None,
                          strip_prefix: str | None = None) -> RestorationModel:
    """Load ``card`` through :func:`load_model`; compare its network with ``checkpoint`` (a path under the
    shared assets) read directly with ``key`` and ``strip_prefix``. Returns the loaded model."""
    raw = read_state_dict(asset_path(checkpoint), key, strip_prefix)
    model = load_model(card)
    assert isinstance(model.network, network), f"{card} built {type(model.network).__name__}, not {network.__name__}"
    assert_same_state(model.network.state_dict(), raw)
    return model
