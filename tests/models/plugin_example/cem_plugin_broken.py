"""Deliberately broken model plug-ins, for the registry's failure tests."""

from __future__ import annotations

from pathlib import Path

NOT_CALLABLE = 42


def raises() -> list[Path]:
    raise RuntimeError("plug-in exploded")


def not_cards() -> list[object]:
    return [42]


def builtin_name() -> list[Path]:
    """A card that reuses a built-in model's name."""
    from model_registry import CARDS_DIR

    return [CARDS_DIR / "identity.yaml"]
