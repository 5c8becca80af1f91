"""Loading a foreign checkpoint: old BatchNorm files load, and every refusal names the card field that fixes it."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
from torch import nn

from cem_bench.core.errors import CemBenchError
from cem_bench.models.builders import module_builder
from cem_bench.models.loading import load_strict
from cem_bench.models.weights import read_state_dict


class BNNet(nn.Module):
    """conv -> BatchNorm -> conv, the layout of DnCNN-era checkpoints."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.tail = nn.Conv2d(4, 3, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tail(torch.relu(self.bn(self.head(x))))


def trained_state() -> dict[str, torch.Tensor]:
    """A state dict with non-trivial BatchNorm statistics, as a pre-0.4.1 PyTorch saved it (no counter)."""
    torch.manual_seed(0)
    net = BNNet()
    net.bn.running_mean.uniform_(-1, 1)
    net.bn.running_var.uniform_(0.5, 2)
    return OrderedDict((key, value) for key, value in net.state_dict().items() if not key.endswith("num_batches_tracked"))


def test_missing_batchnorm_counters_load_as_plain_pytorch_loads_them():
    state = trained_state()
    assert "bn.num_batches_tracked" not in state
    ours, theirs = BNNet(), BNNet()
    load_strict(ours, state, "bn-net")
    theirs.load_state_dict(state, strict=True)  # no version metadata: PyTorch fills the counter itself
    for key, value in theirs.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value), key
    assert int(ours.bn.num_batches_tracked) == 0
    x = torch.rand(1, 3, 8, 8)
    assert torch.equal(ours.eval()(x), theirs.eval()(x))


def test_other_missing_or_unexpected_keys_still_fail():
    without_stats = {key: value for key, value in trained_state().items() if key != "bn.running_mean"}
    with pytest.raises(CemBenchError, match=r"missing \['bn.running_mean'\]"):
        load_strict(BNNet(), without_stats, "bn-net")
    extra = {**trained_state(), "bn.extra": torch.zeros(1)}
    with pytest.raises(CemBenchError, match=r"unexpected \['bn.extra'\]"):
        load_strict(BNNet(), extra, "bn-net")
    no_track = BNNet()
    no_track.bn = nn.BatchNorm2d(4, track_running_stats=False)  # no counter to fill: nothing is added
    with pytest.raises(CemBenchError, match=r"unexpected \['bn.running_mean', 'bn.running_var'\]"):
        load_strict(no_track, trained_state(), "bn-net")


def test_a_prefix_on_every_key_suggests_strip_prefix():
    state = {f"module.{key}": value for key, value in trained_state().items()}
    with pytest.raises(CemBenchError, match=r"keys start with 'module\.': set weights\.strip_prefix: 'module\.'"):
        load_strict(BNNet(), state, "bn-net")


def test_other_sizes_suggest_architecture_kwargs():
    state = trained_state()
    state["tail.weight"] = torch.zeros(3, 4, 5, 5)
    with pytest.raises(CemBenchError, match=r"wrong shape \['tail.weight'\] — same keys, other sizes: set architecture.kwargs"):
        load_strict(BNNet(), state, "bn-net")


def test_missing_keys_list_the_keys_the_checkpoint_has():
    state = {"body.0.weight": torch.zeros(1), "body.0.bias": torch.zeros(1)}
    with pytest.raises(CemBenchError) as caught:
        load_strict(BNNet(), state, "bn-net")
    message = str(caught.value)
    assert "\n" not in message
    assert "missing ['head.weight', 'head.bias', 'bn.weight']…" in message
    assert "the checkpoint has 2 keys: ['body.0.weight', 'body.0.bias']; check architecture (name, kwargs)" in message


def test_a_state_dict_under_params_says_set_weights_key(tmp_path):
    path = tmp_path / "bsrn.pth"
    torch.save({"params": trained_state()}, path)
    with pytest.raises(CemBenchError, match=r"is not a state dict of tensors \(found keys \['params'\] — set weights\.key: params\)"):
        read_state_dict(path)
    assert set(read_state_dict(path, key="params")) == set(trained_state())


def test_a_wrong_key_lists_the_keys_found(tmp_path):
    path = tmp_path / "ema.pth"
    torch.save({"params": trained_state(), "params_ema": trained_state(), "iter": torch.tensor(5)}, path)
    with pytest.raises(CemBenchError) as caught:
        read_state_dict(path, key="state_dict")
    assert str(caught.value) == ("checkpoint ema.pth has no key 'state_dict' (weights.key): found keys ['params', "
                                 "'params_ema', 'iter'] — set weights.key to the one holding the weights (params, params_ema)")


def test_non_tensor_entries_are_named(tmp_path):
    path = tmp_path / "mixed.pth"
    torch.save({**trained_state(), "epoch": 12}, path)
    with pytest.raises(CemBenchError, match=r"not a state dict of tensors \(entries \['epoch'\] are not tensors\)"):
        read_state_dict(path)


def test_an_unimportable_module_says_how_modules_are_found():
    with pytest.raises(CemBenchError) as caught:
        module_builder("no_such_module_anywhere:build")
    message = str(caught.value)
    assert "No module named 'no_such_module_anywhere'" in message
    assert "PYTHONPATH" in message and "entry point in the group cem_bench.models" in message
