"""CLI options shared by commands, so one concept has one flag name everywhere."""

from __future__ import annotations

import argparse

from cem_bench.cem.acceleration import Acceleration
from cem_bench.cem.backends import DEFAULT_BACKEND, available
from cem_bench.cem.protocol import SAMPLINGS, Protocol
from cem_bench.core.banks import DEFAULT_BANK, REFERENCE_BANK, SKIMAGE_PREFIX
from cem_bench.core.errors import CemBenchError

MAX_SCREEN_MARGIN = 1 << 16


def add_cards_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--cards DIR``: a folder of the user's own model cards, registered for this command (``cem-bench``
    puts it in front of ``$CEM_BENCH_CARDS`` before the command runs; README: "Your own cards")."""
    parser.add_argument("--cards", action="append", default=None, metavar="DIR",
                        help="a folder of your own model cards, registered like $CEM_BENCH_CARDS (repeatable)")


def add_protocol_options(parser: argparse.ArgumentParser) -> None:
    defaults = Protocol()
    group = parser.add_argument_group("protocol")
    group.add_argument("--block", type=int, default=defaults.block, help="block size in output pixels (default %(default)s)")
    group.add_argument("--coarse", type=int, default=defaults.coarse, help="coarse interventions per block (default %(default)s)")
    group.add_argument("--fine", type=int, default=defaults.fine, help="fine interventions per moved block (default %(default)s)")
    group.add_argument("--tol", type=float, default=defaults.tol, help="effect tolerance in dB (default %(default)s)")
    group.add_argument("--seed", type=int, default=defaults.seed, help="seed of every random draw (default %(default)s)")
    group.add_argument("--bank", default=DEFAULT_BANK,
                       help=f"patch bank: {REFERENCE_BANK}, {SKIMAGE_PREFIX}N or PATH.npz (default %(default)s)")
    group.add_argument("--sampling", default=defaults.sampling, choices=SAMPLINGS,
                       help="coarse-fine (the paper's, default) or adaptive (early stopping; another protocol id)")
    group.add_argument("--step", type=int, default=defaults.step, help="adaptive: fine samples per round (default %(default)s)")
    group.add_argument("--fast", action="store_true",
                       help="channels-last + reduced precision: faster on GPUs, non-standard (protocol id +fast)")


def add_runtime_options(parser: argparse.ArgumentParser, batch_unit: str = "interventions", backend: bool = False) -> None:
    group = parser.add_argument_group("runtime")
    group.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default %(default)s)")
    group.add_argument("--batch-size", type=int, default=None, help=f"{batch_unit} per forward (default: automatic)")
    group.add_argument("--quiet", action="store_true", help="no progress bar")
    if backend:  # CEM forwards only: LAM needs gradients, which stay on torch
        add_backend_option(group)


def add_backend_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--backend", default=DEFAULT_BACKEND, choices=available(),
                        help="what runs the forwards: torch, or onnxruntime on CPU (graphs checked against torch; "
                             "docs/performance.md) (default %(default)s)")


def add_acceleration_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("exact accelerations (never change the map; docs/performance.md)")
    group.add_argument("--no-accel", action="store_true",
                       help="evaluate every block on the whole image (no gradient screen, no receptive-field crop)")
    group.add_argument("--screen-margin", type=int, default=Acceleration().margin,
                       help="blocks kept around the gradient support (default %(default)s)")


def protocol_from(args: argparse.Namespace) -> Protocol:
    return Protocol(block=args.block, coarse=args.coarse, fine=args.fine, tol=args.tol, seed=args.seed, bank=args.bank,
                    sampling=args.sampling, step=args.step, fast=args.fast)


def acceleration_from(args: argparse.Namespace) -> Acceleration:
    if args.no_accel:
        return Acceleration.off()
    # Beyond any image's width in blocks a margin keeps every block (no screen); far beyond, it overflows.
    if not 0 <= args.screen_margin <= MAX_SCREEN_MARGIN:
        raise CemBenchError(f"--screen-margin must be between 0 and {MAX_SCREEN_MARGIN} blocks, got {args.screen_margin}")
    return Acceleration(margin=args.screen_margin)
