"""A minimal third-party model plug-in, as a package would ship it (used by the plug-in tests).

Its distribution declares ``[cem_bench.models] tiny = cem_plugin_example:cards``; the card names the
network ``cem_plugin_example:build``. The weights are a hand-set state dict (a 3x3 box filter routed
through two conv layers), so they are reproducible: ``export_weights(folder)`` writes the checkpoint
whose sha256 the card records.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

CARD = Path(__file__).resolve().with_name("tiny-denoiser.yaml")
WEIGHTS_FILE = "tiny_denoiser.pth"


class TinyDenoiser(nn.Module):
    """conv 3x3 (3 -> width) -> ReLU -> conv 1x1 (width -> 3), replicate padding, same size out."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.head = nn.Conv2d(3, width, 3, padding=1, padding_mode="replicate")
        self.tail = nn.Conv2d(width, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tail(torch.relu(self.head(x)))


def build(width: int = 8) -> nn.Module:
    """The card's architecture builder (``source: module``).

    >>> build(width=4)(torch.zeros(1, 3, 5, 7)).shape
    torch.Size([1, 3, 5, 7])
    """
    return TinyDenoiser(width)


def box_filter_state(width: int = 8) -> dict[str, torch.Tensor]:
    """Weights that make :class:`TinyDenoiser` a per-channel 3x3 mean filter (inputs are >= 0)."""
    head = torch.zeros(width, 3, 3, 3)
    tail = torch.zeros(3, width, 1, 1)
    for channel in range(3):
        head[channel, channel] = 1.0 / 9.0
        tail[channel, channel] = 1.0
    return {"head.weight": head, "head.bias": torch.zeros(width), "tail.weight": tail, "tail.bias": torch.zeros(3)}


def export_weights(folder: str | Path, width: int = 8) -> Path:
    """Write ``folder/tiny_denoiser.pth``, a plain state dict (what ``weights_only=True`` accepts).

    The file name is fixed because torch.save records it inside the archive: same name and values,
    same bytes, same sha256.
    """
    path = Path(folder) / WEIGHTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(box_filter_state(width), path)
    return path


def cards() -> list[Path]:
    """The entry point: this package's model cards."""
    return [CARD]
