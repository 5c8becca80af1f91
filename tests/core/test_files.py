"""Result files are written whole (atomic rename) with the mode open() would give them (0644 under
the usual umask 022), and an output folder is checked and created before any work."""

from __future__ import annotations

import os
import stat

import pytest

from cem_bench.core.errors import ParameterError
from cem_bench.core.files import atomic_write_bytes


@pytest.fixture
def umask():
    """Set a umask for one test and restore the previous one."""
    previous = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(previous)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664), (0o000, 0o666)])
def test_atomic_write_gives_the_mode_open_gives(tmp_path, umask, mask, mode):
    umask(mask)
    target = tmp_path / "result.json"
    atomic_write_bytes(target, b"{}")
    with open(tmp_path / "plain", "wb"):
        pass
    assert stat.S_IMODE(target.stat().st_mode) == mode == stat.S_IMODE((tmp_path / "plain").stat().st_mode)


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path, umask):
    umask(0o022)
    target = tmp_path / "a.txt"
    atomic_write_bytes(target, b"one")
    atomic_write_bytes(target, b"two")
    assert target.read_bytes() == b"two" and os.listdir(tmp_path) == ["a.txt"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_score_results_are_world_readable(tmp_path, umask):
    from cem_bench.cli import main

    umask(0o022)
    assert main(["score", "--model", "identity", "--task", "dn", "--image", "skimage:coffee", "--roi", "16,16,16",
                 "--fine", "0", "--quiet", "--out", str(tmp_path / "run")]) == 0
    for name in ("result.json", "cem.png"):
        assert stat.S_IMODE((tmp_path / "run" / name).stat().st_mode) == 0o644


def test_output_folder_creates_and_keeps_a_folder_that_was_used(tmp_path):
    from cem_bench.core.files import output_folder

    with output_folder(tmp_path / "a" / "b") as out:
        (out / "result.json").write_text("{}")
    assert (tmp_path / "a" / "b" / "result.json").is_file()


def test_output_folder_removes_only_what_it_created_and_only_when_empty(tmp_path):
    from cem_bench.core.files import output_folder

    (tmp_path / "mine").mkdir()
    with pytest.raises(RuntimeError), output_folder(tmp_path / "mine" / "x" / "y"):
        raise RuntimeError("the run failed")
    assert os.listdir(tmp_path / "mine") == []  # x/y removed, the existing folder kept
    with pytest.raises(KeyboardInterrupt), output_folder(tmp_path / "resume") as out:
        (out / ".cem-partial.json").write_text("{}")  # a checkpoint to resume from: kept
        raise KeyboardInterrupt
    assert (tmp_path / "resume" / ".cem-partial.json").is_file()


def test_output_folder_names_the_parameter(tmp_path):
    from cem_bench.core.files import output_folder

    (tmp_path / "f").write_text("")
    with pytest.raises(ParameterError) as error:
        with output_folder(tmp_path / "f", parameter="results"):
            pass
    assert error.value.parameter == "results" and "is an existing file, not a folder" in error.value.problem


def test_output_folder_refuses_a_file_name_taken_by_a_folder(tmp_path):
    from cem_bench.core.files import output_folder

    (tmp_path / "run" / "result.json").mkdir(parents=True)
    with output_folder(tmp_path / "run", files=["cem.png"]):  # a free name is fine
        pass
    with pytest.raises(ParameterError, match="result.json is a folder where a file will be written"):
        with output_folder(tmp_path / "run", files=["cem.png", "result.json"]):
            pytest.fail("the body must not run")
    (tmp_path / "run" / "cem.png").symlink_to(tmp_path / "run" / "result.json")
    with output_folder(tmp_path / "run", files=["cem.png"]):  # a link is replaced by the atomic write: fine
        pass
