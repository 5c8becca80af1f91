"""The reference patch bank ``div2k-8`` built from the CEM reference repository's folder of PNG patches.

The reference code (J-FHu/CEM) ships its intervention patches as ``patch-DIV2K-8-Demo/``: 10,000 8x8
RGB PNG files named ``<DIV2K image>_<x>_<y>_sharpness-<s>.png`` (e.g. ``0001.png_1049_1482_sharpness-49.0.png``).
:func:`read_patch_folder` reads them in sorted name order as stored (RGB: the reference code read them
with cv2, i.e. as BGR, a quirk not copied) and parses each sharpness from its name; :func:`write_bank`
writes ``patches``, ``names`` and ``sharpness`` deterministically (fixed zip timestamps), the layout of
the shared assets' ``patchbank_div2k_8px.npz``. Whether the result *is* ``div2k-8`` is decided by the
content sha256 of its patches alone (:data:`cem_bench.core.banks.DIV2K_8_SHA256`).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from cem_bench.core.banks import BANK_SIZE, DIV2K_8_SHA256
from cem_bench.core.errors import CemBenchError, ParameterError
from cem_bench.core.files import atomic_write_bytes
from cem_bench.core.images import array_sha256, wide_samples
from cem_bench.pipeline.datasets import npz_bytes

REFERENCE_FOLDER = "patch-DIV2K-8-Demo"  # in https://github.com/J-FHu/CEM
PATCH_SIZE = 8
PATCH_NAME = re.compile(r"\d{4}\.png_\d+_\d+_sharpness-(\d+(?:\.\d+)?)\.png")
NAME_FORMAT = "<DIV2K image>_<x>_<y>_sharpness-<s>.png, e.g. 0001.png_1049_1482_sharpness-49.0.png"


@dataclass(frozen=True)
class FolderBank:
    """The patches of a reference-style folder, with the file names and sharpness they came with."""

    patches: np.ndarray  # uint8 [N, 8, 8, 3], RGB, in the order of ``names``
    names: np.ndarray  # str [N], sorted
    sharpness: np.ndarray  # float64 [N], parsed from the names

    @cached_property
    def sha256(self) -> str:
        """Content sha256 of the patches (:func:`cem_bench.core.images.array_sha256`), the bank's identity."""
        return array_sha256(self.patches)

    @property
    def is_reference(self) -> bool:
        return self.sha256 == DIV2K_8_SHA256


def read_patch(path: Path) -> np.ndarray:
    """One 8x8 8-bit RGB PNG as ``uint8 [8, 8, 3]``; anything else is a one-line error naming the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as image:
                if image.format != "PNG":
                    raise CemBenchError(f"{path} is not a PNG file (it is {image.format})")
                if image.size != (PATCH_SIZE, PATCH_SIZE):
                    raise CemBenchError(f"{path} is {image.size[0]}x{image.size[1]} pixels; a patch is "
                                        f"{PATCH_SIZE}x{PATCH_SIZE}")
                if image.mode != "RGB" or wide_samples(image):
                    depth = "16-bit " if wide_samples(image) else ""
                    raise CemBenchError(f"{path} is a {depth}{image.mode} image; a patch is 8-bit RGB (no alpha, "
                                        "no palette, no greyscale)")
                image.load()
                return np.asarray(image, dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise CemBenchError(f"cannot read patch {path}: {error}") from None


def read_patch_folder(folder: str | Path, count: int = BANK_SIZE) -> FolderBank:
    """Every ``*.png`` of ``folder`` in sorted name order, stacked (see the module docstring).

    The folder must hold exactly ``count`` PNG files (the reference bank has :data:`BANK_SIZE`), all
    named like the reference patches, each 8x8 8-bit RGB; the first problem is a one-line error.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ParameterError("from", f"{root} is not a folder (give the reference repository's {REFERENCE_FOLDER}/)")
    paths = sorted(root.glob("*.png"), key=lambda path: path.name)
    strangers = [path.name for path in paths if not PATCH_NAME.fullmatch(path.name)]
    if strangers:
        raise CemBenchError(f"{root / strangers[0]} is not named like a reference patch ({NAME_FORMAT}); "
                            f"{len(strangers)} such file(s) in the folder")
    if len(paths) != count:
        raise CemBenchError(f"{root} holds {len(paths):,} patch files; the reference bank has {count:,} "
                            f"(an incomplete checkout of {REFERENCE_FOLDER}/?)")
    patches = np.stack([read_patch(path) for path in paths])
    names = [path.name for path in paths]
    sharpness = [float(PATCH_NAME.fullmatch(name).group(1)) for name in names]  # type: ignore[union-attr]
    patches.setflags(write=False)
    return FolderBank(patches=patches, names=np.array(names), sharpness=np.array(sharpness, dtype=np.float64))


def write_bank(bank: FolderBank, out: str | Path) -> Path:
    """Write ``bank`` as an ``.npz`` (``patches``, ``names``, ``sharpness``); same content, same bytes."""
    path = Path(out)
    if path.suffix != ".npz":
        raise ParameterError("out", f"must be a .npz file (a bank is named by a path ending in .npz), got {path}")
    if path.is_dir():
        raise ParameterError("out", f"{path} is a folder; give a file name ending in .npz")
    atomic_write_bytes(path, npz_bytes(bank.patches, names=bank.names, sharpness=bank.sharpness))
    return path
