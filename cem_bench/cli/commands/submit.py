"""`cem-bench submit CARD.yaml`: check a new model, score it on a suite and say where it ranks.

Steps: 1. validate the card (schema, architecture, name free, suite tasks it was trained for);
2. find the weights and check their sha256; 3. load them safely (weights only, strict keys);
4. smoke checks (shape x scale, finite, repeatable; no PSNR gain is only a warning); 5. score it on
the suite (one results file per task); 6. print its rank per task. Every refusal happens before
anything is written, except a failure inside the suite run itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cem_bench.core.errors import CemBenchError
from cem_bench.cli.commands.options import add_runtime_options

if TYPE_CHECKING:
    from cem_bench.models.card import ModelCard

    from cem_bench.pipeline.suites import Suite
    from cem_bench.core.tasks import Task

RANK_KEY = "psnr_gain"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("submit", help="check a new model card + weights, score it on a suite, print its rank")
    parser.add_argument("card", metavar="CARD.yaml", help="the model card (see README: Submit your model)")
    parser.add_argument("--weights", default=None, help="checkpoint file (overrides the card's search path)")
    parser.add_argument("--suite", default="quick", help="suite name or suite .yaml (default %(default)s)")
    parser.add_argument("--out", default="results", help="results folder (default %(default)s)")
    parser.add_argument("--allow-download", action="store_true", help="download the weights from the card's url if missing")
    add_runtime_options(parser)
    parser.set_defaults(func=run)


def warn(message: str) -> None:
    print(f"cem-bench: warning: {message}", file=sys.stderr)


def read_submission(path: str) -> "ModelCard":
    """Step 1a: the card, valid, buildable, and not reusing another model's name."""
    from cem_bench.models import card_source, read_card, registered_cards
    from cem_bench.models.loading import build_network

    if not Path(path).is_file():
        raise CemBenchError(f"model card not found: {path}")
    card = read_card(path)
    registered = registered_cards().get(card.name)
    if registered is not None and registered.model_dump() != card.model_dump():
        raise CemBenchError(f"model name {card.name!r} is already registered ({card_source(card.name)}) with a "
                            "different card; rename your model")
    if card.architecture.source != "spandrel":  # spandrel builds from the state dict, checked at load time
        build_network(card)  # unknown architecture / bad kwargs fail here, before any weights are read
    return card


def suite_tasks(card: "ModelCard", suite: "Suite") -> list["Task"]:
    """Step 1b: the suite's tasks the card was trained for; none is a refusal."""
    from cem_bench.pipeline.suites import supports

    tasks = [spec.build() for spec in suite.tasks]
    chosen = [task for task in tasks if supports(card, task)]
    if not chosen:
        trained = ", ".join(entry.task + (f" {'/'.join(f'{v:g}' for v in entry.levels)}" if entry.levels else "")
                            for entry in card.tasks)
        raise CemBenchError(f"suite {suite.name} has no task model {card.name} was trained for (card: {trained}, "
                            f"x{card.scale}; suite: {', '.join(task.label for task in tasks)})")
    return chosen


def run(args: argparse.Namespace) -> int:
    from cem_bench.models import load_model
    from cem_bench.models.smoke import smoke_check
    from cem_bench.models.weights import resolve_weights

    from cem_bench.pipeline.scoring import resolve_device
    from cem_bench.pipeline.suites import load_suite

    device = resolve_device(args.device)
    card = read_submission(args.card)
    suite = load_suite(args.suite)
    tasks = suite_tasks(card, suite)
    print(f"card {card.name}: valid, architecture {card.architecture.source}:{card.architecture.name}, "
          f"suite {suite.id} tasks {', '.join(task.label for task in tasks)}")

    weights = None
    if card.weights is not None:
        weights = resolve_weights(card, args.weights, args.allow_download)  # found + sha256 checked
    elif args.weights is not None:
        raise CemBenchError(f"model {card.name} has no weights to load (its card has no weights entry)")
    model = load_model(card, weights=weights, device=device)
    print(f"weights: {weights} (sha256 {card.weights.sha256[:12]}… verified), state dict loaded"
          if weights else "weights: none (analytic model)")
    if card.params is not None and card.params != model.parameter_count():
        warn(f"card {card.name} says {card.params} parameters, the network has {model.parameter_count()}")

    for task in tasks:
        report = smoke_check(model, task, device=device)
        print(f"smoke: {report.summary()}")
        for note in report.warnings:
            warn(note)
    del model  # the suite run loads its own copy

    return score_and_rank(args, card, suite, tasks, weights)


def score_and_rank(args: argparse.Namespace, card: "ModelCard", suite: "Suite", tasks: list["Task"],
                   weights: Path | None) -> int:
    """Steps 5 and 6: the suite run (results files) and the model's position per task."""
    from cem_bench.report.leaderboard import rank
    from cem_bench.pipeline.runner import run_suite

    written = run_suite(suite, models=[str(Path(args.card))], out=args.out,
                        weights={card.name: str(weights)} if weights else None, progress=not args.quiet,
                        device=args.device, batch_size=args.batch_size)
    for path in written:
        print(f"wrote {path}")
    for task in tasks:
        position, total = rank(args.out, suite, task.label, card.name, key=RANK_KEY)
        print(f"rank on {task.label}: {position} of {total} (by {RANK_KEY})")
    return 0
