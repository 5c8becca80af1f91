"""Where an image comes from (``skimage:NAME``, a file, or ``assets:RELATIVE`` in the shared assets) and the
square crop cut from it: the one description suites, datasets and report galleries share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field, field_validator

from cem_bench.core.assets import asset_path
from cem_bench.core.config import Sha256Text, StrictModel
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import SKIMAGE_PREFIX, array_sha256, read_rgb

ASSETS_PREFIX = "assets:"
Box = tuple[int, int, int]  # [x, y, size] in pixels


def check_box(box: Box, what: str) -> Box:
    if min(box[:2]) < 0 or box[2] < 1:
        raise ValueError(f"{what} [x, y, size] needs x, y >= 0 and size >= 1, got {list(box)}")
    return box


class ImageSource(StrictModel):
    """Where an image comes from and the square window ``crop = [x, y, size]`` cut from it."""

    source: str = Field(min_length=1)
    crop: Box | None = None
    # Content hash of the (cropped) image (``array_sha256``): a suite that fixes it refuses any other pixels.
    sha256: Sha256Text | None = None

    OMIT_WHEN_NONE = ("sha256",)

    @field_validator("crop")
    @classmethod
    def _crop_ok(cls, crop: Box | None) -> Box | None:
        return None if crop is None else check_box(crop, "crop")

    def path(self) -> str | None:
        """What :func:`cem_bench.core.images.read_rgb` reads, or ``None`` when the source is not here."""
        if self.source.startswith(SKIMAGE_PREFIX):
            return self.source
        if self.source.startswith(ASSETS_PREFIX):
            found = asset_path(self.source[len(ASSETS_PREFIX):])
            return None if found is None else str(found)
        return self.source if Path(self.source).is_file() else None

    def read(self) -> np.ndarray:
        """The (cropped) image as uint8 ``[H, W, 3]``; a crop outside the image is an error."""
        where = self.path()
        if where is None:
            raise CemBenchError(f"image {self.source} is not on this machine (shared assets: set CEM_BENCH_ASSETS)")
        rgb = read_rgb(where)
        if self.crop is None:
            return self._verified(rgb)
        x, y, size = self.crop
        if x + size > rgb.shape[1] or y + size > rgb.shape[0]:
            raise CemBenchError(f"crop {list(self.crop)} is outside {self.source} ({rgb.shape[1]}x{rgb.shape[0]})")
        return self._verified(np.ascontiguousarray(rgb[y : y + size, x : x + size]))

    def _verified(self, rgb: np.ndarray) -> np.ndarray:
        if self.sha256 is not None and array_sha256(rgb) != self.sha256:
            raise CemBenchError(f"image {self.source} (crop {self.crop}) does not have the content its suite fixes "
                                f"(sha256 {array_sha256(rgb)[:12]}…, expected {self.sha256[:12]}…)")
        return rgb
