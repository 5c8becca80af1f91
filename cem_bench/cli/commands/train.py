"""`cem-bench train CONFIG.yaml`: reproduce a reference-zoo model from scratch on CPU, resumably (docs/zoo.md)."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from cem_bench.core.errors import CemBenchError
from cem_bench.core.files import output_folder

DEFAULT_CHECKPOINT_EVERY = 100


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("train", help="train a reference-zoo model from its config (CPU, resumable)")
    parser.add_argument("config", help="training config, e.g. model_registry/zoo/configs/zoo-dn-rcan-ca.yaml")
    parser.add_argument("--out", default=None,
                        help="folder for weights, summary and card (default: the zoo's weights/ and cards/ folders)")
    parser.add_argument("--iterations", type=int, default=None,
                        help="shorten the schedule (a trial run; needs --out so the zoo is not overwritten)")
    parser.add_argument("--checkpoint-every", type=int, default=DEFAULT_CHECKPOINT_EVERY,
                        help=f"save the whole training state every N iterations (default {DEFAULT_CHECKPOINT_EVERY})")
    parser.add_argument("--checkpoint", default=None,
                        help="checkpoint file (default: NAME.train.ckpt in the weights folder); removed once the "
                             "outputs are written")
    parser.add_argument("--resume", action="store_true",
                        help="continue from the checkpoint when there is one (bitwise as if never interrupted); "
                             "without it an existing checkpoint is an error")
    parser.add_argument("--keep-checkpoint", action="store_true",
                        help="keep the final checkpoint after writing the outputs (to carry a finished pair member "
                             "to a later session, training/README.md; resuming it writes the same outputs again "
                             "without training)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cem_bench.models.train.checkpoint import Checkpointing, default_path
    from cem_bench.models.train.loop import train
    from cem_bench.models.train.outputs import CARDS_DIR, WEIGHTS_DIR, write_outputs
    from cem_bench.models.train.recipe import read_config

    config_path = Path(args.config)
    config = read_config(config_path)
    if args.iterations is not None:
        if args.out is None:
            raise CemBenchError("--iterations shortens the recipe: give --out so the zoo's files stay as they are")
        if args.iterations < 1:
            raise CemBenchError("--iterations must be at least 1")
        config = config.model_copy(update={"train": config.train.model_copy(update={"iterations": args.iterations})})
    if args.checkpoint_every < 1:
        raise CemBenchError("--checkpoint-every must be at least 1")
    trial = args.out is not None  # --out "" is refused below, never taken for "no --out"
    weights_dir = Path(args.out) if trial else WEIGHTS_DIR
    cards_dir = Path(args.out) if trial else CARDS_DIR
    checkpoint = Path(args.checkpoint) if args.checkpoint else default_path(weights_dir, config.name)
    checkpointing = Checkpointing(checkpoint, args.checkpoint_every, args.resume)
    # An unusable --out is refused before hours of training, not after them.
    with output_folder(args.out) if trial else contextlib.nullcontext():
        result = train(config, log=None if args.quiet else lambda line: print(line, flush=True), checkpointing=checkpointing)
        written = write_outputs(config, config_path, result, weights_dir, cards_dir)
    if not args.keep_checkpoint:
        checkpoint.unlink(missing_ok=True)  # the outputs now hold the result; a rerun starts from scratch
    for label, scores in result.validation.items():
        print(f"{config.name} {label}: {scores['psnr']:.2f} dB vs baseline {scores['baseline']:.2f} dB "
              f"({scores['gain']:+.2f}), {config.train.iterations} iterations in {result.seconds:.0f} s")
    print("wrote " + ", ".join(str(path) for path in written.values()))
    if "card" not in written:
        raise CemBenchError(f"{config.name} does not beat its trivial baseline on held-out crops: no card written")
    return 0
