"""Hostile inputs for the security tests: a card writer, and a *user module* whose attributes cards name.

Every callable here that is not a model builder leaves a marker file when it runs (``path`` comes from the
card's kwargs), so a test proves it was never called by the marker's absence. The module lives outside
site-packages on purpose: it stands for a user's own module on PYTHONPATH, the one place (with declared
plug-ins) a card's ``source: module`` may name.
"""

from __future__ import annotations

import functools
import json
from os import system as reexported_system  # noqa: F401 - named by a card: a builtin re-exported here
from pathlib import Path
from shutil import copyfile as reexported_copyfile  # noqa: F401 - named by a card: a stdlib function re-exported

from torch import nn

from cem_bench.core.images import file_sha256


def touch(path: str) -> None:
    """A module-level function that is not a model builder (annotated ``-> None``)."""
    Path(path).touch()


def unannotated(path: str):  # noqa: ANN201 - the missing annotation is the point
    Path(path).touch()
    return nn.Identity()


def lying(path: str) -> nn.Module:
    """Annotated as a builder, returns something else: called, then refused for its result."""
    Path(path).touch()
    return 42  # type: ignore[return-value]


touch_lambda = lambda path: Path(path).touch()  # noqa: E731 - a lambda is a function without annotations
touch_partial = functools.partial(touch)


class Toucher:
    def __call__(self, path: str) -> nn.Module:
        Path(path).touch()
        return nn.Identity()


TOUCHER = Toucher()  # a callable instance, not a function


class NotAModule:
    def __init__(self, path: str) -> None:
        Path(path).touch()


class GoodNet(nn.Module):
    """A genuine builder (class): an identity with one parameter-free layer."""

    def __init__(self, width: int = 1) -> None:
        super().__init__()
        self.width = width

    def forward(self, x):
        return x


def good(width: int = 1) -> nn.Module:
    """A genuine builder (function annotated to return an nn.Module)."""
    return GoodNet(width)


def card_data(**changes: object) -> dict:
    """An analytic dn card (no weights) built by ``hostile:good``; ``changes`` replace top-level fields."""
    card = {"name": "hostile", "description": "security test card", "tasks": [{"task": "dn", "levels": [25, 50]}],
            "scale": 1, "architecture": {"source": "module", "name": "hostile:good"},
            "origin": {"paper": "none"}, "license": "MIT"}
    card.update(changes)
    return {key: value for key, value in card.items() if value is not None}


def write_card(folder: Path, name: str = "card.yaml", **changes: object) -> Path:
    """Write :func:`card_data` as a card file (JSON is valid YAML) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(card_data(**changes)))
    return path


def weights_entry(checkpoint: Path, file: str | None = None) -> dict:
    """A ``weights`` field naming ``file`` (default: the checkpoint's path) with the checkpoint's real sha256."""
    return {"file": file if file is not None else str(checkpoint), "sha256": file_sha256(checkpoint)}
