"""CLI options shared by commands, so one concept has one flag name everywhere."""

from __future__ import annotations

import argparse

from ..banks import DEFAULT_BANK
from ..protocol import Protocol


def add_protocol_options(parser: argparse.ArgumentParser) -> None:
    defaults = Protocol()
    group = parser.add_argument_group("protocol")
    group.add_argument("--block", type=int, default=defaults.block, help="block size in output pixels (default %(default)s)")
    group.add_argument("--coarse", type=int, default=defaults.coarse, help="coarse interventions per block (default %(default)s)")
    group.add_argument("--fine", type=int, default=defaults.fine, help="fine interventions per moved block (default %(default)s)")
    group.add_argument("--tol", type=float, default=defaults.tol, help="effect tolerance in dB (default %(default)s)")
    group.add_argument("--seed", type=int, default=defaults.seed, help="seed of every random draw (default %(default)s)")
    group.add_argument("--bank", default=DEFAULT_BANK, help="patch bank: div2k-8, skimage-N or PATH.npz (default %(default)s)")


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("runtime")
    group.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default %(default)s)")
    group.add_argument("--batch-size", type=int, default=None, help="interventions per forward (default: automatic)")
    group.add_argument("--quiet", action="store_true", help="no progress bar")


def protocol_from(args: argparse.Namespace) -> Protocol:
    return Protocol(block=args.block, coarse=args.coarse, fine=args.fine, tol=args.tol, seed=args.seed, bank=args.bank)
