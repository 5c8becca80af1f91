"""The registered models: built-in cards (``model_registry/cards``) and plug-in cards, by name."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from cem_bench.core.errors import CemBenchError
from cem_bench.core.registry import Registry
from cem_bench.models.card import ModelCard, read_card
from cem_bench.models.plugins import CardEntry, builtin_entries, merge_entries, plugin_entries
from model_registry import CARDS_DIR


@lru_cache(maxsize=1)
def registry() -> dict[str, CardEntry]:
    """Built-in cards (``model_registry/cards``) and plug-in cards (see ``plugins.py``), by name.

    Cached: call ``registry.cache_clear()`` after installing a plug-in in a running process.
    """
    return merge_entries([*builtin_entries(CARDS_DIR), *plugin_entries()])


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
    """Where a registered card comes from: ``built-in`` or ``plug-in DIST (entry point NAME)``."""
    return model_catalog().get(name).source


def get_card(name_or_path: str | Path) -> ModelCard:
    """A registered card by name, or a card file by path."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")):
        if not Path(text).is_file():
            raise CemBenchError(f"model card not found: {text}")
        return read_card(text)
    return model_catalog().get(text).card
