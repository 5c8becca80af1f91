"""The registered models: built-in cards (``model_registry/cards``), the user's card folders
(``$CEM_BENCH_CARDS``, ``--cards DIR``) and plug-in cards, by name."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from cem_bench.core.errors import CemBenchError, ParameterError
from cem_bench.core.registry import Registry
from cem_bench.models.card import ModelCard, read_card
from cem_bench.models.plugins import CardEntry, builtin_entries, merge_entries, plugin_entries
from model_registry import CARDS_DIR

CARDS_ENV = "CEM_BENCH_CARDS"  # folders of the user's own cards, os.pathsep-separated


class UserCardWarning(UserWarning):
    """A card file in a user card folder is invalid; it is skipped, every other card still loads."""


def user_card_dirs() -> list[Path]:
    """The folders named by ``$CEM_BENCH_CARDS``, in order."""
    return [Path(part) for part in os.environ.get(CARDS_ENV, "").split(os.pathsep) if part]


def add_card_dirs(dirs: Iterable[str | Path]) -> None:
    """Put ``dirs`` in front of ``$CEM_BENCH_CARDS`` (``--cards DIR``), for this process and the ones it
    starts (a suite run's executors look models up by name too)."""
    folders = [Path(folder) for folder in dirs]
    for folder in folders:
        if not folder.is_dir():
            raise ParameterError("cards", f"{folder} is not a folder")
    current = [str(folder) for folder in user_card_dirs()]
    added = [str(folder.resolve()) for folder in folders]
    os.environ[CARDS_ENV] = os.pathsep.join(dict.fromkeys([*added, *current]))  # a folder named twice counts once


def user_entries(dirs: Iterable[Path]) -> list[CardEntry]:
    """The cards (``*.yaml``, ``*.yml``) of each user folder, source ``user DIR``; a folder that does not
    exist is an error (a typo must not hide every model), an invalid card a warning naming the file."""
    entries = []
    for folder in dirs:
        if not folder.is_dir():
            raise CemBenchError(f"{CARDS_ENV} names {folder}, which is not a folder")
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            try:
                card = read_card(path)
            except CemBenchError as error:
                warnings.warn(f"card {path} is skipped: {error}", UserCardWarning, stacklevel=2)
                continue
            entries.append(CardEntry(card, f"user {folder}", str(path)))
    return entries


@lru_cache(maxsize=4)
def _registry(user_dirs: str) -> dict[str, CardEntry]:
    # One entry per folder, however it was spelled (relative in the variable, absolute from --cards).
    dirs = list(dict.fromkeys(Path(part).resolve() for part in user_dirs.split(os.pathsep) if part))
    return merge_entries([*builtin_entries(CARDS_DIR), *user_entries(dirs), *plugin_entries()])


def registry() -> dict[str, CardEntry]:
    """Built-in cards, the user's card folders (``$CEM_BENCH_CARDS``) and plug-in cards (see ``plugins.py``),
    by name; a name defined twice is an error naming both sources.

    Cached per value of ``$CEM_BENCH_CARDS``: call ``registry.cache_clear()`` after installing a plug-in or
    editing a card in a running process.
    """
    return _registry(os.environ.get(CARDS_ENV, ""))


registry.cache_clear = _registry.cache_clear  # type: ignore[attr-defined]


def model_catalog() -> Registry[CardEntry]:
    """The registered cards as a :class:`Registry` (lookup by name, suggestions for typos)."""
    catalog: Registry[CardEntry] = Registry("model", hint="see `cem-bench models list`")
    for name, entry in registry().items():
        catalog.register(name, entry)
    return catalog


def registered_cards() -> dict[str, ModelCard]:
    """Every registered card, by name."""
    return {name: entry.card for name, entry in registry().items()}


def card_source(name: str) -> str:
    """Where a registered card comes from: ``built-in``, ``user DIR`` or ``plug-in DIST (entry point NAME)``."""
    return model_catalog().get(name).source


def refuse_shadowing(card: ModelCard) -> None:
    """Refuse a card file that reuses a registered model's name with different content.

    Results are keyed by model name, so such a card's maps would be taken for the registered model's.
    """
    registered = registered_cards().get(card.name)
    if registered is not None and registered.model_dump() != card.model_dump():
        raise CemBenchError(f"model name {card.name!r} is already registered ({card_source(card.name)}) with a "
                            "different card; rename your model")


def get_card(name_or_path: str | Path) -> ModelCard:
    """A registered card by name, or a card file by path (never one that shadows a registered name)."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")):
        if not Path(text).is_file():
            raise CemBenchError(f"model card not found: {text}")
        card = read_card(text)
        refuse_shadowing(card)
        return card
    return model_catalog().get(text).card
