"""Parsing JSON text that may come from a user's file.

Python's parsers recurse once per nesting level, so text nested past the recursion limit (a few hundred
``[``) raises :class:`RecursionError`. Here that is malformed input like any other: a :class:`ValueError`
at the parse site, where the caller knows which file it read, never a RecursionError that would look like
a bug to ``cem-bench``'s error handling.
"""

from __future__ import annotations

import json
from typing import Any


class NestedTooDeeply(ValueError):
    """Text nested past Python's recursion limit."""

    def __init__(self) -> None:
        super().__init__("nested too deeply to read (Python's recursion limit)")


def parse_json(text: str | bytes) -> Any:
    """``json.loads`` of ``text``; nesting past the recursion limit is :class:`NestedTooDeeply`.

    >>> parse_json('{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> parse_json("[" * 100_000)
    Traceback (most recent call last):
    cem_bench.core.parsing.NestedTooDeeply: nested too deeply to read (Python's recursion limit)
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise NestedTooDeeply() from None
