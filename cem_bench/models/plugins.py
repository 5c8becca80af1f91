"""Model cards from third-party packages, through the entry-point group ``cem_bench.models``.

The contract: a distribution declares an entry point in the group ``cem_bench.models`` whose object
is a callable taking no arguments and returning an iterable of model cards, each either a path to a
card YAML file or a :class:`~cem_bench.models.card.ModelCard`. In ``pyproject.toml``::

    [project.entry-points."cem_bench.models"]
    my-models = "my_pkg.cem:cards"

A plug-in card names its network as ``architecture: {source: module, name: "my_pkg.nets:build"}``
(or any other source) and its weights by ``url`` and/or ``file`` plus ``sha256``, like a built-in card.
Plug-in cards join the built-in ones in :func:`model_registry.registered_cards`. A name defined twice
is an error naming both sources (silently shadowing a model would change what a leaderboard means);
a plug-in that fails to import or returns something else is skipped with a :class:`PluginWarning`
naming it, and every other card still loads.

A card's ``source: module`` builder may live in site-packages only when its top-level package belongs to
such a declared plug-in (:func:`plugin_packages`; the rule is :mod:`cem_bench.models.builders`').
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import Distribution, EntryPoint, entry_points
from pathlib import Path

from cem_bench.core.errors import CemBenchError
from cem_bench.models.card import ModelCard, read_card

GROUP = "cem_bench.models"
BUILT_IN = "built-in"


class PluginWarning(UserWarning):
    """A model plug-in could not be loaded; its cards are skipped."""


@dataclass(frozen=True)
class CardEntry:
    """A registered card and where it came from (``built-in`` or ``plug-in DIST (entry point NAME)``)."""

    card: ModelCard
    source: str
    where: str  # the card file or the entry point's target, for error messages


def builtin_entries(cards_dir: Path) -> list[CardEntry]:
    """The cards shipped in ``cards_dir``, in file-name order."""
    return [CardEntry(read_card(path), BUILT_IN, str(path)) for path in sorted(cards_dir.glob("*.yaml"))]


def plugin_label(entry_point: EntryPoint) -> str:
    """``plug-in DIST (entry point NAME)``; the distribution is unknown for ad-hoc entry points.

    >>> plugin_label(EntryPoint(name="tiny", value="pkg:cards", group=GROUP))
    "plug-in ? (entry point 'tiny')"
    """
    dist = getattr(entry_point, "dist", None)
    return f"plug-in {dist.name if dist is not None else '?'} (entry point {entry_point.name!r})"


def _as_card(item: object) -> ModelCard:
    if isinstance(item, ModelCard):
        return item
    if isinstance(item, (str, Path)):
        return read_card(item)
    raise TypeError(f"expected a card path or a ModelCard, got {type(item).__name__}")


def cards_from(entry_point: EntryPoint) -> list[ModelCard]:
    """Load one entry point and return its cards (any failure propagates to the caller)."""
    provider = entry_point.load()
    if not callable(provider):
        raise TypeError(f"{entry_point.value} is not callable")
    items = provider()
    if isinstance(items, (str, Path, ModelCard)) or not isinstance(items, Iterable):
        raise TypeError(f"{entry_point.value}() must return an iterable of cards, got {type(items).__name__}")
    return [_as_card(item) for item in items]


def plugin_entries() -> list[CardEntry]:
    """Cards of every installed plug-in; a broken plug-in is skipped with a warning naming it."""
    entries: list[CardEntry] = []
    for entry_point in sorted(entry_points(group=GROUP), key=lambda ep: (plugin_label(ep), ep.value)):
        label = plugin_label(entry_point)
        try:
            cards = cards_from(entry_point)
        except Exception as error:  # noqa: BLE001 - third-party code may raise anything; never take the registry down
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            warnings.warn(f"model {label} failed to load and is skipped: {reason}", PluginWarning, stacklevel=2)
            continue
        entries.extend(CardEntry(card, label, entry_point.value) for card in cards)
    return entries


def merge_entries(entries: Iterable[CardEntry]) -> dict[str, CardEntry]:
    """Entries by card name; a name defined twice is a :class:`CemBenchError` naming both sources."""
    merged: dict[str, CardEntry] = {}
    for entry in entries:
        name = entry.card.name
        if name in merged:
            first = merged[name]
            raise CemBenchError(
                f"model name {name!r} is defined twice: by {first.source} ({first.where}) "
                f"and by {entry.source} ({entry.where}); rename one of them"
            )
        merged[name] = entry
    return merged


def _top_level_names(dist: Distribution) -> set[str]:
    """The import names a distribution installs: ``top_level.txt``, else the first part of its files."""
    listed = dist.read_text("top_level.txt")
    if listed:
        return {line.strip() for line in listed.splitlines() if line.strip()}
    names = set()
    for file in dist.files or []:
        parts = file.parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith((".dist-info", ".egg-info", ".data")):
            continue
        if len(parts) > 1:
            names.add(parts[0])
        elif file.suffix in (".py", ".so", ".pyd"):
            names.add(parts[0].split(".")[0])
    return names


def plugin_packages() -> frozenset[str]:
    """Top-level import names of the declared plug-ins: every entry point's own module in the group
    ``cem_bench.models`` and the packages its distribution installs. Standard-library names never count,
    whatever a distribution declares. Not cached: installing a plug-in takes effect at once."""
    names: set[str] = set()
    for entry_point in entry_points(group=GROUP):
        names.add(entry_point.module.partition(".")[0])
        dist = getattr(entry_point, "dist", None)
        if dist is not None:
            names |= _top_level_names(dist)
    return frozenset(name for name in names if name and name not in sys.stdlib_module_names)
