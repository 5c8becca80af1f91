"""Checkpoints that are not state dicts, with a matching sha256: one line naming the file, never a traceback
(issue 18, defect 3: the checkpoint part). The sha256 is the card's own, so only the reader can refuse them."""

from __future__ import annotations

import os
import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from hostile import weights_entry, write_card

from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.models import load_model, read_card
from cem_bench.models.weights import read_state_dict


def _truncated(path: Path) -> None:
    torch.save({"conv.weight": torch.zeros(3, 3)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _zip_without_pickle(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"not a pickle")


HOSTILE: dict[str, tuple[str, Callable[[Path], object], str]] = {
    "zero bytes": ("w.pth", lambda p: p.write_bytes(b""), "is empty (0 bytes)"),
    "text": ("w.pth", lambda p: p.write_text("hello, I am not a checkpoint\n"), "cannot read checkpoint"),
    "truncated zip": ("w.pth", _truncated, "cannot read checkpoint"),
    "zip without torch records": ("w.pth", _zip_without_pickle, "cannot read checkpoint"),
    "random bytes": ("w.pth", lambda p: p.write_bytes(bytes(range(7, 256)) * 3), "not a checkpoint torch can read safely"),
    "pickle needing code": ("w.pth", lambda p: p.write_bytes(pickle.dumps(os.system, protocol=2)),
                            "needs code to unpickle (posix.system"),
    "pickled number": ("w.pth", lambda p: p.write_bytes(pickle.dumps(42, protocol=2)), "cannot read checkpoint"),
    "tensor, not a dict": ("w.pth", lambda p: torch.save(torch.zeros(2), p), "is not a state dict of tensors"),
    "zero-byte safetensors": ("w.safetensors", lambda p: p.write_bytes(b""), "is empty (0 bytes)"),
    "text safetensors": ("w.safetensors", lambda p: p.write_text("not safetensors"), "cannot read checkpoint"),
}


def hostile_card(tmp_path: Path, case: str) -> Path:
    name, make, _ = HOSTILE[case]
    folder = tmp_path / "cards"
    folder.mkdir()
    weights = folder / name
    make(weights)
    return write_card(folder, architecture={"source": "project", "name": "identity"},
                      weights=weights_entry(weights, name))


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_checkpoint_is_one_line_naming_the_file(tmp_path, case):
    card = read_card(hostile_card(tmp_path, case))
    with pytest.raises(CemBenchError) as raised:
        load_model(card)
    message = str(raised.value)
    assert HOSTILE[case][2] in message and HOSTILE[case][0] in message and "\n" not in message, message
    assert raised.value.__cause__ is None or isinstance(raised.value.__cause__, CemBenchError)


@pytest.mark.parametrize("case", ["zero bytes", "text", "zero-byte safetensors"])
def test_hostile_checkpoint_on_the_command_line_is_exit_2(tmp_path, capsys, case):
    card = hostile_card(tmp_path, case)
    args = ["score", "--model", str(card), "--task", "dn", "--sigma", "25", "--image", "skimage:coffee",
            "--roi", "8,8,16", "--fine", "1", "--quiet", "--device", "cpu", "--out", str(tmp_path / "out")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cem-bench: error: ") and "\n" not in err and HOSTILE[case][2] in err, err
    assert not (tmp_path / "out").exists()


def test_directory_named_like_a_checkpoint(tmp_path):
    (tmp_path / "w.pth").mkdir()
    with pytest.raises(CemBenchError, match="is not a file"):
        read_state_dict(tmp_path / "w.pth")
