"""The zoo's training and validation images, and seeded random training patches.

A training config names its data (``data:``): ``skimage`` (the first zoo) or ``sun-hays80``
(:func:`training_set`, :func:`validation_set`). ``skimage`` uses only images bundled with
scikit-image (no downloads), split three ways:

* **evaluation** (never seen in training or validation): ``astronaut``, ``chelsea`` (= ``cat``),
  ``coffee`` (:data:`cem_bench.core.images.EVAL_IMAGES`) and everything in the shared assets' ``images/``
  (none of them is a scikit-image image);
* **patch bank** (never seen, so the bank stays independent of the models):
  :data:`cem_bench.core.banks.BANK_SOURCES`;
* **training** (:data:`TRAIN_SOURCES`): the greyscale textures and photographs ``brick``, ``grass``,
  ``gravel``, ``coins``, ``moon``, ``page``, ``text``, ``cell`` (replicated to RGB) and the left view
  of ``stereo_motorcycle``, columns ``< MOTORCYCLE_SPLIT`` (the only natural colour photograph
  left; its right view shows the same scene and is not used at all);
* **validation** (:data:`VALIDATION_CROPS`): two 128x128 crops of ``camera`` (never trained on) and
  two of the motorcycle's left view right of ``MOTORCYCLE_VALIDATION_FROM`` (no training pixel).

``sun-hays80`` trains on those same scikit-image images plus 72 of the 80 CSun_Hays80 photographs
of the shared assets, and validates on centre crops of the other 8 (:mod:`.sun_hays`).
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import numpy as np
import torch

from cem_bench.core.banks import BANK_SOURCES
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import EVAL_IMAGES
from cem_bench.models.train import sun_hays

DATA_SETS = ("skimage", "sun-hays80")

TRAIN_SOURCES = ("brick", "grass", "gravel", "coins", "moon", "page", "text", "cell", "stereo_motorcycle")
MOTORCYCLE_SPLIT = 512  # training uses columns [0, 512) of the motorcycle's left view
MOTORCYCLE_VALIDATION_FROM = 544  # validation crops start right of here: a gap, no shared pixel
# (source, y, x, size): fixed held-out crops.
VALIDATION_CROPS = (
    ("camera", 192, 192, 128),
    ("camera", 352, 352, 128),
    ("stereo_motorcycle", 120, 560, 128),
    ("stereo_motorcycle", 300, 600, 128),
)
NEVER_USED = (*EVAL_IMAGES, "cat", *BANK_SOURCES)  # "cat" is scikit-image's alias of chelsea

assert not set(TRAIN_SOURCES) & set(NEVER_USED), "training images overlap evaluation or bank images"
assert not {name for name, *_ in VALIDATION_CROPS} & set(NEVER_USED), "validation overlaps evaluation/bank"
# Only the motorcycle is shared by both splits, and only by disjoint columns (checked next).
assert not ({name for name, *_ in VALIDATION_CROPS} - {"stereo_motorcycle"}) & set(TRAIN_SOURCES)
assert all(x >= MOTORCYCLE_VALIDATION_FROM > MOTORCYCLE_SPLIT for name, _, x, _ in VALIDATION_CROPS
           if name == "stereo_motorcycle")


def _rgb(array: np.ndarray) -> np.ndarray:
    """uint8 ``[H, W, 3]``: greyscale replicated, alpha dropped."""
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise CemBenchError(f"expected an 8-bit image, got {array.dtype}")
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    return np.ascontiguousarray(array[..., :3])


@lru_cache(maxsize=None)
def source_image(name: str) -> np.ndarray:
    """A bundled scikit-image image as uint8 RGB (the motorcycle: its left view, whole)."""
    if name in NEVER_USED:
        raise CemBenchError(f"{name!r} is an evaluation or patch-bank image and must not be used by the zoo")
    import skimage.data

    loader = getattr(skimage.data, name, None)
    if loader is None:
        raise CemBenchError(f"unknown scikit-image image {name!r}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = loader()
    image = _rgb(data[0] if name == "stereo_motorcycle" else data)
    image.setflags(write=False)
    return image


def training_images() -> list[np.ndarray]:
    """The training split, in :data:`TRAIN_SOURCES` order."""
    images = [source_image(name) for name in TRAIN_SOURCES]
    return [image[:, :MOTORCYCLE_SPLIT] if name == "stereo_motorcycle" else image
            for name, image in zip(TRAIN_SOURCES, images)]


def validation_crops() -> list[np.ndarray]:
    """The held-out validation crops (uint8 RGB), in :data:`VALIDATION_CROPS` order."""
    return [np.ascontiguousarray(source_image(name)[y : y + size, x : x + size])
            for name, y, x, size in VALIDATION_CROPS]


def training_set(data: str) -> list[np.ndarray]:
    """The training images of data set ``data`` (:data:`DATA_SETS`)."""
    if data == "skimage":
        return training_images()
    if data == "sun-hays80":
        return [*training_images(), *sun_hays.training_images()]
    raise CemBenchError(f"unknown training data {data!r}: one of {', '.join(DATA_SETS)}")


def validation_set(data: str) -> list[np.ndarray]:
    """The held-out validation crops of data set ``data``."""
    if data == "skimage":
        return validation_crops()
    if data == "sun-hays80":
        return sun_hays.validation_crops()
    raise CemBenchError(f"unknown training data {data!r}: one of {', '.join(DATA_SETS)}")


def describe(data: str) -> dict[str, object]:
    """What a model of data set ``data`` was trained and validated on, for its summary."""
    skimage = {"train": list(TRAIN_SOURCES), "motorcycle_train_columns": [0, MOTORCYCLE_SPLIT]}
    if data == "skimage":
        return {"set": data, **skimage, "validation_crops": [list(crop) for crop in VALIDATION_CROPS]}
    train, validation = sun_hays.split()
    size = sun_hays.VALIDATION_SIZE
    return {"set": data, **skimage, "sun_hays80_folder": sun_hays.FOLDER, "sun_hays80_train": train,
            "validation_crops": [[name, "centre", size] for name in validation]}


def dihedral(patch: np.ndarray, k: int) -> np.ndarray:
    """One of the 8 flips/rotations of an ``[H, W, C]`` patch: rotate ``k % 4`` times, flip if ``k >= 4``.

    >>> dihedral(np.arange(4).reshape(2, 2, 1), 5)[..., 0].tolist()
    [[3, 1], [2, 0]]
    """
    patch = np.rot90(patch, k % 4)
    return np.ascontiguousarray(patch[:, ::-1] if k >= 4 else patch)


class PatchSampler:
    """Random ``size`` x ``size`` training crops with random flips/rotations, all from one generator.

    An image is drawn with probability proportional to its number of crop positions, so every
    training pixel is about equally likely to be seen; the order of draws is fixed by the generator.
    """

    def __init__(self, images: list[np.ndarray], size: int, gen: torch.Generator) -> None:
        self.images = [image for image in images if min(image.shape[:2]) >= size]
        if not self.images:
            raise CemBenchError(f"no training image is at least {size}x{size}")
        self.size = size
        self.gen = gen
        self.weights = torch.tensor([(i.shape[0] - size + 1) * (i.shape[1] - size + 1) for i in self.images],
                                    dtype=torch.float64)

    def _int(self, high: int) -> int:
        return int(torch.randint(high, (), generator=self.gen))

    def sample(self, count: int) -> np.ndarray:
        """``count`` patches as uint8 ``[count, size, size, 3]``."""
        picks = torch.multinomial(self.weights, count, replacement=True, generator=self.gen).tolist()
        patches = []
        for index in picks:
            image = self.images[index]
            y = self._int(image.shape[0] - self.size + 1)
            x = self._int(image.shape[1] - self.size + 1)
            patches.append(dihedral(image[y : y + self.size, x : x + self.size], self._int(8)))
        return np.stack(patches)
