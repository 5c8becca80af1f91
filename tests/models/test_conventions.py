"""Card conventions used by the zoo: weights shipped beside the card, and pre-upsampled SR input."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from cem_bench.core.errors import CemBenchError
from cem_bench.core.tasks import get_task
from cem_bench.models import load_model
from cem_bench.models.loading import pre_upsample

PLUGIN_DIR = Path(__file__).resolve().parent / "plugin_example"


@pytest.fixture
def tiny_card(tmp_path, monkeypatch):
    """The plug-in example's card, copied to tmp_path with its weights beside it; no other weight folder."""
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    monkeypatch.setenv("CEM_BENCH_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.delenv("CEM_BENCH_WEIGHTS", raising=False)
    import cem_plugin_example

    cem_plugin_example.export_weights(tmp_path)
    card = yaml.safe_load((PLUGIN_DIR / "tiny-denoiser.yaml").read_text())

    def write(**changes) -> Path:
        path = tmp_path / "card.yaml"
        path.write_text(yaml.safe_dump({**card, **changes}))
        return path

    return write


def test_weights_are_found_beside_the_card(tiny_card):
    model = load_model(tiny_card())
    assert model.weights_sha256 is not None
    x = torch.rand(1, 3, 12, 12)
    assert model(x).shape == x.shape


def test_pre_upsample_runs_a_same_size_network_on_bicubic_input(tiny_card):
    path = tiny_card(name="tiny-sr", tasks=[{"task": "sr", "levels": [2, 4]}],
                     input={"range": 1, "color": "rgb", "pre_upsample": True})
    model = load_model(path)
    model.configure(get_task("sr", scale=4))
    x = torch.rand(1, 3, 8, 8)
    assert torch.equal(model(x), model.network(pre_upsample(x, 4)))
    with pytest.raises(CemBenchError, match="trained for sr at 2, 4, not sr-x3"):
        model.configure(get_task("sr", scale=3))
