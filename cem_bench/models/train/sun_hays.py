"""CSun_Hays80 as the zoo's real training set: a fixed train / validation split of 80 scene photographs.

The 80 colour JPEGs (Sun & Hays, ICCP 2012; about 1024 px) sit in the shared assets'
``benchmarks/CSun_Hays80`` and share no image with the test sets (CBSD68, CSet5/14, CUrban100) or the
CEM demo images (``benchmarks/README.md`` of the assets). They are optional: nothing here is read at
import time, and a config that asks for them on a machine without the assets fails with one line.

Split (fixed, by file name): sorted by name, every :data:`VALIDATION_STRIDE`-th file (the 1st, 11th,
21st, ...: 8 images) is held out for validation; the other 72 are for training. Validation uses the
centre :data:`VALIDATION_SIZE` x :data:`VALIDATION_SIZE` crop of each held-out image, so no validation
pixel is ever a training pixel.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from cem_bench.core.assets import ENV_VAR, asset_path
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import read_rgb

FOLDER = "benchmarks/CSun_Hays80"  # relative to the assets folder
IMAGE_COUNT = 80
VALIDATION_STRIDE = 10  # every 10th file (sorted by name) is held out
VALIDATION_SIZE = 128  # side of the centre validation crop


def folder() -> Path:
    """The CSun_Hays80 folder, or a one-line error saying where it is looked for."""
    path = asset_path(FOLDER)
    if path is None:
        raise CemBenchError(f"training data sun-hays80 needs the shared assets' {FOLDER} (80 JPEGs): set "
                            f"{ENV_VAR} to an assets folder that has it, or train with data: skimage")
    return path


def files() -> list[Path]:
    """The 80 JPEGs, sorted by name; a folder with another count is refused (the split would shift)."""
    found = sorted(folder().glob("*.jpg"))
    if len(found) != IMAGE_COUNT:
        raise CemBenchError(f"{folder()} holds {len(found)} JPEGs, the sun-hays80 split expects {IMAGE_COUNT}")
    return found


def split() -> tuple[list[str], list[str]]:
    """(training file names, validation file names), disjoint, 72 and 8.

    The rule depends on names only, so adding nothing and removing nothing keeps every model's split.
    """
    names = [path.name for path in files()]
    validation = names[::VALIDATION_STRIDE]
    return [name for name in names if name not in validation], validation


@lru_cache(maxsize=None)
def _image(name: str) -> np.ndarray:
    image = read_rgb(folder() / name)
    image.setflags(write=False)
    return image


def training_images() -> list[np.ndarray]:
    """The 72 training photographs, uint8 RGB, in name order (cached: they are about 170 MB together)."""
    return [_image(name) for name in split()[0]]


def centre_crop(image: np.ndarray, size: int) -> np.ndarray:
    """The ``size`` x ``size`` centre crop (top-left rounded down).

    >>> centre_crop(np.arange(25).reshape(5, 5, 1), 3)[..., 0].tolist()
    [[6, 7, 8], [11, 12, 13], [16, 17, 18]]
    """
    height, width = image.shape[:2]
    if min(height, width) < size:
        raise CemBenchError(f"a {height}x{width} image has no {size}x{size} centre crop")
    y, x = (height - size) // 2, (width - size) // 2
    return np.ascontiguousarray(image[y : y + size, x : x + size])


def validation_crops() -> list[np.ndarray]:
    """The 8 held-out centre crops, uint8 RGB, in name order."""
    return [centre_crop(read_rgb(folder() / name), VALIDATION_SIZE) for name in split()[1]]
