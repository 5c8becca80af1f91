"""NaN and infinity in any float option (`--tol`, `--sigma`, `--blur-sigma`, ...) or library setting are
refused before any work: one line `cem-bench: error: --FLAG must be a finite number`, exit 2, the library
never called and nothing written (they used to run a whole job, then fail writing the result)."""

from __future__ import annotations

import argparse
import math

import pytest

import cem_bench.cli.commands.lam as lam_command
import cem_bench.cli.commands.score as score_command
from cem_bench.cem.protocol import Protocol
from cem_bench.cli import build_parser, main
from cem_bench.core.errors import CemBenchError, ParameterError
from cem_bench.core.tasks import get_task
from cem_bench.core.tasks.dn import Denoising
from cem_bench.lam.settings import LAMSettings


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


@pytest.mark.parametrize(("build", "flag", "value"), [
    (score_args, "--tol", "nan"), (score_args, "--tol", "inf"), (score_args, "--tol", "-inf"),
    (score_args, "--sigma", "nan"), (score_args, "--sigma", "inf"),
    (lam_args, "--blur-sigma", "inf"), (lam_args, "--blur-sigma", "nan"),
])
def test_non_finite_float_option_is_refused_before_any_work(tmp_path, capsys, no_work, build, flag, value):
    args = build(tmp_path / "out")
    if flag in args:
        del args[args.index(flag) : args.index(flag) + 2]
    assert main([*args, f"{flag}={value}"]) == 2  # "--tol -inf" would read -inf as a flag
    assert f"{flag} must be a finite number, got {float(value)}" in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


def test_every_float_option_of_every_command_is_checked():
    """The check is generic: any float option a command has (or gains) is covered."""
    from cem_bench.cli import check_floats

    floats = []
    parser = build_parser()
    commands = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    pending = list(commands.choices.values())
    while pending:
        sub = pending.pop()
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending += action.choices.values()
            elif action.type is float:
                floats.append(action.dest)
    assert {"tol", "sigma", "blur_sigma"} <= set(floats)
    for dest in floats:
        with pytest.raises(ParameterError, match=f"^{dest} must be a finite number"):
            check_floats(argparse.Namespace(**{dest: math.nan}))


def test_library_refuses_non_finite_settings():
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(ParameterError, match="^tol must be a finite number"):
            Protocol(tol=value)
        with pytest.raises(ParameterError, match="^sigma must be a finite number"):
            Denoising(value)
        with pytest.raises(ParameterError, match="^sigma must be a finite number"):
            get_task("dn", sigma=value)
        with pytest.raises(CemBenchError, match="LAM blur sigma must be a finite number"):
            LAMSettings(sigma=value)
