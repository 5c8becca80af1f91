"""`cem-bench` command line: parse arguments, call the library, print. No logic lives here.

Each command is a module of :mod:`cem_bench.cli.commands` with ``register(subparsers)``; library errors
name Python parameters (``batch_size``), and :func:`flag` turns them into the flags a user typed.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import NoReturn

from cem_bench.cli.commands import COMMANDS
from cem_bench.core.errors import CemBenchError, ParameterError, require_finite
from cem_bench.core.version import __version__


def flag(parameter: str) -> str:
    """The command-line flag of a library parameter.

    >>> flag("batch_size")
    '--batch-size'
    """
    return "--" + parameter.replace("_", "-")


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line, like every other refusal (``--help`` shows usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="cem-bench", description="Causal Effect Maps for image-restoration models.")
    parser.add_argument("--version", action="version", version=f"cem-bench {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS.names():
        COMMANDS.get(name).register(subparsers)
    return parser


def check_floats(args: argparse.Namespace) -> None:
    """Refuse NaN and infinity in every float option (``--tol``, ``--sigma``, ``--blur-sigma``, ...),
    new ones included, before a command starts: ``float()`` accepts "nan" and "inf"."""
    for name, value in vars(args).items():
        if isinstance(value, float):
            require_finite(name, value)


def check_batch_size(args: argparse.Namespace) -> None:
    """Refuse ``--batch-size`` below 1 before a command starts (a suite run would otherwise fail every unit)."""
    if (value := getattr(args, "batch_size", None)) is not None and value < 1:
        raise CemBenchError(f"--batch-size must be at least 1, got {value}")


def _run(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)  # imports every command module (and torch) here, inside main
    warnings.filterwarnings("ignore", category=FutureWarning)  # third-party deprecation noise
    check_floats(args)
    check_batch_size(args)
    if getattr(args, "cards", None):  # --cards DIR: before the command looks up any model
        from cem_bench.models.catalog import add_card_dirs

        add_card_dirs(args.cards)
    return int(args.func(args) or 0)


def forget_handled_interrupt() -> None:
    """Tell CPython that the Ctrl-C it raised was handled.

    CPython 3.11 sets its private ``_Py_UnhandledKeyboardInterrupt`` when a KeyboardInterrupt leaves
    code run through ``PyRun_String``, which third-party extensions use while torch is imported, and
    does not clear it when Python code catches the exception. ``python -m cem_bench.cli`` then kills
    itself with SIGINT at exit (status -2) after main() returned 130. Other versions and
    implementations lack the symbol, and there is nothing to forget.
    """
    import ctypes

    try:
        ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 0
    except (AttributeError, ValueError):
        pass


def error_line(error: Exception) -> str:
    """The one line that reports a refused input.

    Besides the library's own errors, input the commands do not vet one by one (a folder where a file
    goes, a result that is not UTF-8) is still bad input, reported the same way. Text nested past
    Python's recursion limit is refused where it is parsed (:mod:`cem_bench.core.parsing`), so a
    RecursionError reaching here is a bug and keeps its traceback.
    """
    if isinstance(error, ParameterError):
        return f"{flag(error.parameter)} {error.problem}"
    if isinstance(error, CemBenchError):
        return str(error)
    if isinstance(error, UnicodeDecodeError):
        return f"an input file is not UTF-8 text ({error.reason} at byte {error.start})"
    return " ".join(str(error).split())  # an OSError's message can span lines


def main(argv: list[str] | None = None) -> int:
    """Run ``cem-bench``; library and input errors are one line and exit 2, Ctrl-C is one line and exit 130.

    Ctrl-C is caught around everything, parser building and the command modules' imports included,
    so an early interrupt is not a long traceback from torch's import machinery.
    """
    try:
        return _run(argv)
    except (CemBenchError, UnicodeDecodeError, OSError) as error:
        if isinstance(error, OSError) and error.filename is None:
            raise  # not about a file the user named: a bug or the system, shown with its traceback
        print(f"cem-bench: error: {error_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        forget_handled_interrupt()
        print("cem-bench: interrupted", file=sys.stderr)
        return 130


__all__ = ["build_parser", "flag", "main"]
