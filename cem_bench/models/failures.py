"""A network's forward failure as one line: which model, on what input size, and the likely cause.

PyTorch's messages name an operator deep inside the network ("Output size is too small", "shape ... is
invalid for input of size ..."), after a long traceback. A user submitting a model needs to know what to
change instead: the images (too small, a side not a multiple the network needs), the card (channels,
extra inputs) or the run (memory). The causes are read from the message text: a guess, so the original
message follows it, shortened.
"""

from __future__ import annotations

import re

import torch

from cem_bench.core.errors import ModelForwardError

# (pattern of the torch message, likely cause); {size} is the input's WxH. First match wins.
CAUSES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"out of memory|can't allocate memory|not enough memory", re.I),
     "out of memory: lower --batch-size, or use a smaller image"),
    (re.compile(r"output size is too small|kernel size can't be greater|padding size should be less|"
                r"input image .* smaller than kernel|expected .*size.* greater than", re.I),
     "the {size} input is too small for the network (a pooling, kernel or padding needs a larger one): "
     "use larger images or crops"),
    (re.compile(r"is invalid for input of size|must match the size of tensor|sizes of tensors must match|"
                r"size mismatch|shape mismatch|not divisible|divisible by", re.I),
     "the network needs input sides of some multiple (a downsampling factor or window size) and {size} is not one: "
     "crop the images to a multiple, or pad inside the architecture"),
    (re.compile(r"expected input.* to have \d+ channels|channels, but got", re.I),
     "the network takes another number of channels than it is given: check the card's input.color "
     "(luma: 1 channel) and input.noise_map (one more)"),
    (re.compile(r"positional argument|unexpected keyword|required .*argument", re.I),
     "the network is called with other arguments than it takes: check the card's input.noise_map and "
     "input.scale_argument"),
]
FALLBACK = "the network raised on this input"


def likely_cause(error: BaseException, size: str) -> str:
    """The first cause of :data:`CAUSES` whose pattern matches ``error``'s message.

    >>> likely_cause(RuntimeError("Given input size: (3x2x2). Output size is too small"), "2x2")
    'the 2x2 input is too small for the network (a pooling, kernel or padding needs a larger one): use larger images or crops'
    """
    if isinstance(error, torch.OutOfMemoryError):
        return CAUSES[0][1]
    text = f"{type(error).__name__}: {error}"
    return next((cause for pattern, cause in CAUSES if pattern.search(text)), FALLBACK).format(size=size)


def _first_line(error: BaseException, limit: int = 160) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def forward_failure(model: str, task: str | None, x: torch.Tensor, error: BaseException) -> ModelForwardError:
    """The one-line error for ``error`` raised by ``model``'s network on the input ``x`` ([B, C, H, W])."""
    height, width = int(x.shape[-2]), int(x.shape[-1])
    size = f"{width}x{height}"
    on = f" on {task}" if task else ""
    batch = f", batch of {x.shape[0]}" if x.ndim == 4 and x.shape[0] > 1 else ""
    out_of_memory = isinstance(error, torch.OutOfMemoryError) or likely_cause(error, size) == CAUSES[0][1]
    return ModelForwardError(f"model {model} failed{on} with a {size} input (width x height{batch}): "
                             f"{likely_cause(error, size)} ({_first_line(error)})", out_of_memory=out_of_memory)
