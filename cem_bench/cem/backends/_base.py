"""What every backend gives back: the module the estimator calls and a report of what actually ran."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

Notice = Callable[[str], None]


def stderr_notice(message: str) -> None:
    """The default notice: one line on stderr (``tqdm.write`` keeps an open progress bar intact)."""
    from tqdm.auto import tqdm

    tqdm.write(message, file=sys.stderr)


@dataclass
class ServedModel:
    """``model`` maps ``[B, C, h, w]`` batches like the loaded module; ``report()`` says what ran them.

    ``report()`` always holds ``requested`` (the backend asked for), ``used`` (``torch``, ``onnxruntime``,
    ``mixed`` when some input shapes fell back, ``none`` before any forward) and ``fallbacks`` (one line
    each); a backend adds its own details. It is what a result records as ``environment.backend``.
    """

    model: nn.Module
    report: Callable[[], dict[str, Any]]
