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
    import model_registry

    return [Path(model_registry.__file__).parent / "cards" / "identity.yaml"]
