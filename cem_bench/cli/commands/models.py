"""`cem-bench models list|show`: what is registered and whether its weights are on this machine."""

from __future__ import annotations

import argparse

import yaml
from tabulate import tabulate

from cem_bench.cli.options import add_cards_option
from cem_bench.core.tasks import TASKS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list registered models or show one card")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="table of registered models")
    listing.add_argument("--task", choices=sorted(TASKS), default=None, help="only models for this task")
    add_cards_option(listing)
    listing.set_defaults(func=run_list)
    show = verbs.add_parser("show", help="print one model card and where its weights are (or where they were looked for)")
    show.add_argument("name", help="registered model name or path to a card .yaml")
    add_cards_option(show)
    show.set_defaults(func=run_show)


def weights_status(card) -> tuple[str, str]:
    """``(state, detail)``: ``none needed``, or the weights' state (present / missing / refused) and the file
    found or where it was looked for."""
    from cem_bench.models.weights import weights_status as status

    return ("none needed", "") if card.weights is None else status(card.weights)


def run_list(args: argparse.Namespace) -> int:
    from cem_bench.models import card_source, registered_cards

    rows = []
    for card in registered_cards().values():
        if args.task and args.task not in card.task_names:
            continue
        tasks = ", ".join(entry.task + (f" {'/'.join(f'{v:g}' for v in entry.levels)}" if entry.levels else "")
                          for entry in card.tasks)
        state, _ = weights_status(card)
        rows.append([card.name, tasks, f"x{card.scale}", f"{card.architecture.source}:{card.architecture.name}",
                     card.params, "analytic" if card.analytic else state,
                     card_source(card.name)])
    print(tabulate(rows, headers=["model", "tasks", "scale", "architecture", "params", "weights", "source"],
                   tablefmt="github"))
    return 0


def run_show(args: argparse.Namespace) -> int:
    from cem_bench.models import card_source, get_card, registered_cards
    from cem_bench.models.builders import builder_for

    card = get_card(args.name)
    builder_for(card.architecture)  # a card naming code other than a model builder is refused, nothing called
    print(yaml.safe_dump(card.model_dump(mode="json", exclude_none=True), sort_keys=False).rstrip())
    state, detail = weights_status(card)
    print(f"# weights: {detail if state == 'present' else f'{state}: {detail}' if detail else state}")
    if registered_cards().get(card.name) == card:
        print(f"# source: {card_source(card.name)}")
    return 0
