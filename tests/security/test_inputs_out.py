"""An --out that cannot hold results (an existing file, a pseudo-filesystem, an uncreatable or unwritable
folder) is refused before any work: one line `cem-bench: error: --out ...`, exit 2, the library never
called and nothing written (it used to fail after the coarse stage, with a traceback)."""

from __future__ import annotations

import os

import pytest

import cem_bench.cli.commands.lam as lam_command
import cem_bench.cli.commands.score as score_command
from cem_bench.cli import main


def score_args(out, *extra):
    return ["score", "--model", "box-blur-3", "--task", "dn", "--sigma", "25", "--image", "skimage:coffee",
            "--roi", "16,16,16", "--fine", "3", "--quiet", "--out", str(out), *extra]


def lam_args(out, *extra):
    return ["lam", "--model", "bicubic-x2", "--image", "skimage:coffee", "--roi", "16,16", "--steps", "2",
            "--device", "cpu", "--quiet", "--out", str(out), *extra]


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a command reaches the library: every check here comes before any work."""
    def refuse(*args, **kwargs):
        raise AssertionError("the library was called although the options are invalid")

    monkeypatch.setattr(score_command, "score", refuse)
    monkeypatch.setattr(lam_command, "compute_lam", refuse)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("cem-bench: error: ") and "\n" not in err, err
    return err


@pytest.mark.parametrize("build", [score_args, lam_args])
def test_out_naming_an_existing_file_is_refused_before_any_work(tmp_path, capsys, no_work, build):
    existing = tmp_path / "result.txt"
    existing.write_text("keep me")
    assert main(build(existing)) == 2
    assert f"--out {existing} is an existing file, not a folder" in one_line_error(capsys)
    assert existing.read_text() == "keep me"


@pytest.mark.parametrize("where", ["/proc/cem-bench-out", "/sys/cem-bench-out", "/proc/self/cem-bench-out",
                                   "/sys/fs/cgroup/cem-bench-out", "/dev/cem-bench-out"])
def test_out_in_a_kernel_pseudo_filesystem_is_refused(capsys, no_work, where):
    assert main(score_args(where)) == 2
    assert f"--out {where} is inside a kernel pseudo-filesystem" in one_line_error(capsys)
    assert not os.path.exists(where)


def test_out_below_a_file_is_refused(tmp_path, capsys, no_work):
    (tmp_path / "file").write_text("")
    assert main(score_args(tmp_path / "file" / "run")) == 2
    assert f"--out {tmp_path / 'file' / 'run'} cannot be created: Not a directory" in one_line_error(capsys)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write into a read-only folder")
def test_out_in_a_read_only_folder_is_refused(tmp_path, capsys, no_work):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    assert main(score_args(locked / "run")) == 2
    assert "cannot be created: Permission denied" in one_line_error(capsys)


def test_unwritable_out_is_refused_even_when_it_exists(tmp_path, capsys, monkeypatch, no_work):
    """Writability is probed by creating a file (whoever runs it, root included): simulate a refusal."""
    import tempfile

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    assert main(score_args(tmp_path)) == 2
    assert f"--out {tmp_path} is not writable: Permission denied" in one_line_error(capsys)


def test_a_failed_run_removes_the_folders_it_created(tmp_path, capsys):
    out = tmp_path / "a" / "b"
    assert main(score_args(out, "--roi", "1000,1000,16")) == 2
    assert "not inside" in one_line_error(capsys)
    assert not (tmp_path / "a").exists()


def test_an_empty_out_is_refused_not_taken_for_the_working_directory(tmp_path, capsys, no_work, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(score_args("")) == 2
    assert one_line_error(capsys) == "cem-bench: error: --out is empty; name a folder"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["report", "leaderboard"])
def test_a_report_out_naming_a_folder_is_refused_before_any_figure(command, tmp_path, capsys):
    folder = tmp_path / "reports"
    folder.mkdir()
    assert main([command, "--suite", "quick", "--out", str(folder)]) == 2
    assert one_line_error(capsys) == f"cem-bench: error: --out {folder} is an existing folder, not a file"
    assert list(tmp_path.iterdir()) == [folder] and list(folder.iterdir()) == []


def test_a_report_out_ending_in_a_slash_is_refused(tmp_path, capsys):
    out = f"{tmp_path / 'new'}/"
    assert main(["leaderboard", "--suite", "quick", "--out", out]) == 2
    assert one_line_error(capsys) == f"cem-bench: error: --out {out} names a folder, not a file"
    assert list(tmp_path.iterdir()) == []


def test_an_os_error_about_no_file_is_not_taken_for_bad_input(monkeypatch):
    """A failure that names no file is a bug or the system: it keeps its traceback."""
    import cem_bench.cli.commands.aggregate as aggregate_command

    def broken(args):
        raise OSError("device lost")

    monkeypatch.setattr(aggregate_command, "run", broken)
    with pytest.raises(OSError, match="device lost"):
        main(["aggregate"])


def test_aggregate_does_not_create_a_missing_results_folder(tmp_path, capsys):
    assert main(["aggregate", "--results", str(tmp_path / "typo")]) == 2
    assert "no such folder of results" in one_line_error(capsys)
    assert not (tmp_path / "typo").exists()
