"""`cem-bench` command line: parse arguments, call the library, print. No logic lives here."""

from __future__ import annotations

import argparse
import sys
import warnings

from cem_bench import __version__
from cem_bench.cli.commands import discover
from cem_bench.core.errors import CemBenchError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cem-bench", description="Causal Effect Maps for image-restoration models.")
    parser.add_argument("--version", action="version", version=f"cem-bench {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in discover():
        command.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)  # third-party deprecation noise
    try:
        return int(args.func(args) or 0)
    except CemBenchError as error:
        print(f"cem-bench: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cem-bench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
