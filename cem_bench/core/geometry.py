"""The region of interest and the block grid, both in *output* pixels.

The grid tiles the output image with ``block`` x ``block`` squares from the top-left corner. When the
image side is not a multiple of the block size, the last row/column holds partial blocks (narrower or
shorter); an intervention on a partial block pastes the top-left part of the patch. For a model with
scale ``s`` the matching input block is ``block / s`` input pixels, so ``block`` must divide by ``s``.
A block belongs to the ROI when it overlaps the ROI by at least one pixel; ROI blocks are never
intervened on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from cem_bench.core.errors import CemBenchError, ParameterError

DEFAULT_ROI_SIZE = 32


@dataclass(frozen=True)
class ROI:
    """A square region of the output: top-left ``(x, y)`` and side ``size``, in output pixels."""

    x: int
    y: int
    size: int = DEFAULT_ROI_SIZE

    @classmethod
    def parse(cls, text: str, default_size: int = DEFAULT_ROI_SIZE) -> "ROI":
        """Parse ``"X,Y"`` or ``"X,Y,SIZE"``.

        >>> ROI.parse("96,152")
        ROI(x=96, y=152, size=32)
        """
        if not re.fullmatch(r"\s*\d+\s*,\s*\d+\s*(,\s*\d+\s*)?", text):
            raise ParameterError("roi", f"must be X,Y or X,Y,SIZE with non-negative integers, got {text!r}")
        values = [int(part) for part in text.split(",")]
        roi = cls(values[0], values[1], values[2] if len(values) == 3 else default_size)
        if roi.size < 1:
            raise CemBenchError("ROI size must be at least 1 pixel")
        return roi

    def check_inside(self, height: int, width: int) -> None:
        if self.x + self.size > width or self.y + self.size > height:
            raise CemBenchError(
                f"ROI x={self.x}, y={self.y}, size={self.size} is not inside the {width}x{height} output image"
            )

    def as_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "size": self.size}


@dataclass(frozen=True)
class BlockGrid:
    """Blocks of ``block`` output pixels over an ``height`` x ``width`` output, for scale ``scale``."""

    height: int
    width: int
    block: int
    scale: int = 1

    def __post_init__(self) -> None:
        if self.block < 1:
            raise CemBenchError("block size must be at least 1 output pixel")
        if self.block % self.scale:
            raise CemBenchError(
                f"block {self.block} does not fit scale {self.scale}: the input block would be "
                f"{self.block / self.scale:g} input pixels (use a multiple of {self.scale})"
            )
        if self.height % self.scale or self.width % self.scale:
            raise CemBenchError(f"output size {self.width}x{self.height} is not a multiple of scale {self.scale}")
        if self.block > min(self.height, self.width):
            raise CemBenchError(f"block {self.block} is larger than the {self.width}x{self.height} image")

    @property
    def rows(self) -> int:
        return math.ceil(self.height / self.block)

    @property
    def cols(self) -> int:
        return math.ceil(self.width / self.block)

    @property
    def n_blocks(self) -> int:
        return self.rows * self.cols

    @property
    def in_block(self) -> int:
        """Side of a block in input pixels."""
        return self.block // self.scale

    def roi_mask(self, roi: ROI) -> np.ndarray:
        """Boolean ``[rows, cols]``: True for blocks overlapping the ROI.

        >>> int(BlockGrid(64, 64, 8).roi_mask(ROI(8, 16, 16)).sum())
        4
        """
        roi.check_inside(self.height, self.width)
        mask = np.zeros((self.rows, self.cols), dtype=bool)
        r0, r1 = roi.y // self.block, (roi.y + roi.size - 1) // self.block
        c0, c1 = roi.x // self.block, (roi.x + roi.size - 1) // self.block
        mask[r0 : r1 + 1, c0 : c1 + 1] = True
        return mask

    def block_position(self, index: int) -> tuple[int, int]:
        """(row, col) of a flat block index (row-major)."""
        return divmod(index, self.cols)
