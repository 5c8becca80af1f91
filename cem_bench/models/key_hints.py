"""Which card field fixes a checkpoint that does not load, told from the keys the file actually holds.

A user meets these messages on the first try with a foreign checkpoint, so each names the field to set:
``weights.key`` (the state dict sits under ``params``, ``state_dict``, ...), ``weights.strip_prefix``
(``module.`` from DataParallel) or ``architecture.kwargs`` (same keys, other sizes), and otherwise lists
the keys the file has.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

SHOWN = 6  # keys listed in a message: enough to see a prefix or a layout, short enough for one line


def show_keys(keys: Sequence[str], limit: int = SHOWN) -> str:
    """The first ``limit`` keys as a list, with an ellipsis when there are more.

    >>> show_keys(["a", "b", "c"], limit=2)
    "['a', 'b']…"
    """
    return f"{list(keys[:limit])}{'…' if len(keys) > limit else ''}"


def is_state_dict(value: Any) -> bool:
    """A non-empty dict of ``str`` -> tensor."""
    return isinstance(value, dict) and bool(value) and all(
        isinstance(key, str) and isinstance(item, torch.Tensor) for key, item in value.items())


def container_hint(value: Any) -> str:
    """What ``value`` (not a state dict) holds, and the ``weights.key`` to set when an entry is a state dict.

    >>> container_hint({"params": {"conv.weight": torch.zeros(1)}, "step": 3})
    "found keys ['params', 'step'] — set weights.key: params"
    >>> container_hint([1, 2])
    'it holds a list'
    """
    if not isinstance(value, dict):
        return f"it holds a {type(value).__name__}"
    keys = [str(key) for key in value]
    nested = [str(key) for key, item in value.items() if is_state_dict(item)]
    if len(nested) == 1:
        return f"found keys {show_keys(keys)} — set weights.key: {nested[0]}"
    if nested:
        return f"found keys {show_keys(keys)} — set weights.key to the one holding the weights ({', '.join(nested)})"
    others = [key for key, item in value.items() if not isinstance(item, torch.Tensor)]
    if len(others) < len(value):  # mostly tensors: name the entries that are not
        return f"entries {show_keys([str(key) for key in others])} are not tensors"
    return f"found keys {show_keys(keys)}, none of them a state dict of tensors (weights.key takes one level)"


def _shared_prefixes(keys: Sequence[str]) -> list[str]:
    """Dotted prefixes (``module.``, ``module.net.``) every key starts with, shortest first."""
    if not keys:
        return []
    parts = keys[0].split(".")[:-1]
    prefixes = [".".join(parts[: count]) + "." for count in range(1, len(parts) + 1)]
    return [prefix for prefix in prefixes if all(key.startswith(prefix) for key in keys)]


def strip_candidate(expected: Sequence[str], found: Sequence[str]) -> str | None:
    """The shared prefix of ``found`` whose removal matches the most ``expected`` keys, if that beats none.

    >>> strip_candidate(["conv.weight"], ["module.conv.weight"])
    'module.'
    >>> strip_candidate(["conv.weight"], ["conv.weight"]) is None
    True
    """
    wanted = set(expected)
    best, best_overlap = None, len(wanted & set(found))
    for prefix in _shared_prefixes(found):
        overlap = len(wanted & {key[len(prefix):] for key in found})
        if overlap > best_overlap:
            best, best_overlap = prefix, overlap
    return best


def mismatch_hint(expected: Sequence[str], found: Sequence[str], shapes_only: bool) -> str:
    """The card field that fixes a strict-load mismatch, or the checkpoint's keys when none obviously does."""
    if shapes_only:
        return "same keys, other sizes: set architecture.kwargs (width, blocks, scale) to the checkpoint's"
    prefix = strip_candidate(expected, found)
    if prefix is not None:
        return f"the checkpoint's keys start with {prefix!r}: set weights.strip_prefix: {prefix!r}"
    return (f"the checkpoint has {len(found)} keys: {show_keys(found)}; check architecture (name, kwargs), "
            "weights.key and weights.strip_prefix")
