"""Patch banks: the natural-image patches that replace an input block in an intervention.

A bank is one ``uint8`` array ``[N, P, P, 3]`` (RGB) identified by the sha256 of its content. Two
banks are built in:

``div2k-8``
    The bank of the CEM reference code: 10,000 8x8 crops of DIV2K training images. Read from the file
    named by ``$CEM_BENCH_DIV2K_BANK`` when it is set (e.g. one built from the reference repository's
    PNG folder with ``cem-bench data bank``), else from the shared assets (``patchbank_div2k_8px.npz``).
    Either way it is accepted only when its content sha256 is :data:`DIV2K_8_SHA256`: the name stands
    for those pixels. Stored in RGB order; the reference code read it as BGR and so swapped colour
    channels, which we do not.
``skimage-P`` (default ``skimage-8``)
    The embedded default, cut from scikit-image's bundled colour images that are *not* evaluation
    images (:data:`BANK_SOURCES`): every non-overlapping PxP tile in reading order, minus near-black
    background tiles (mean below :data:`MIN_MEAN`), then :data:`BANK_SIZE` tiles taken at evenly
    spaced positions. No random numbers are involved, so the content hash is fixed.

A path to an ``.npz`` file with a ``patches`` array of the same layout is accepted too.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from cem_bench.core.assets import asset_path
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import EVAL_IMAGES, SKIMAGE_IMAGES, array_sha256, skimage_rgb

BANK_SOURCES = ("rocket", "immunohistochemistry", "hubble_deep_field", "retina")
BANK_SIZE = 10_000
MIN_MEAN = 10  # on the 0-255 scale: drops the black backgrounds of the space and retina images
DIV2K_FILE = "patchbank_div2k_8px.npz"
DIV2K_ENV = "CEM_BENCH_DIV2K_BANK"  # an .npz to use as div2k-8 instead of the shared assets' file
# array_sha256 of the reference bank's patches, measured on the shared assets' patchbank_div2k_8px.npz
# (the same content as the 10,000 PNGs of the reference repository, read as RGB in sorted name order)
DIV2K_8_SHA256 = "e1630180c338887cccb1d87dbd0a93086f4e60275156d32b413e84311a8a7c72"
MAX_BANK_BYTES = 1 << 30  # an .npz bank's patches; the reference bank (10,000 8x8 patches) is 1.9 MB
REFERENCE_BANK = "div2k-8"  # the reference code's own patches (``reference_bank``)
SKIMAGE_PREFIX = "skimage-"  # ``skimage-P``: the embedded bank of P-pixel patches


def skimage_bank_name(size: int) -> str:
    """The registered name of the embedded bank of ``size``-pixel patches."""
    return f"{SKIMAGE_PREFIX}{size}"


DEFAULT_BANK = skimage_bank_name(8)

assert not set(BANK_SOURCES) & set(EVAL_IMAGES), "bank and evaluation images must not overlap"
assert set(BANK_SOURCES) <= set(SKIMAGE_IMAGES)


@dataclass(frozen=True)
class PatchBank:
    """A named, hashed set of RGB patches."""

    name: str
    patches: np.ndarray  # uint8 [N, P, P, 3]
    sha256: str

    @property
    def patch_size(self) -> int:
        return int(self.patches.shape[1])

    def __len__(self) -> int:
        return int(self.patches.shape[0])

    def to_tensor(self, device: torch.device | str = "cpu") -> torch.Tensor:
        """All patches as one float tensor ``[N, 3, P, P]`` in ``[0, 1]`` on ``device``."""
        tensor = torch.from_numpy(self.patches.copy()).permute(0, 3, 1, 2).contiguous()
        return tensor.to(device).float().div_(255.0)

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "sha256": self.sha256, "size": len(self), "patch_size": self.patch_size}


def _validated(name: str, patches: np.ndarray) -> PatchBank:
    if patches.ndim != 4 or patches.shape[3] != 3 or patches.shape[1] != patches.shape[2]:
        raise CemBenchError(f"patch bank {name}: expected patches of shape [N, P, P, 3], got {patches.shape}")
    if patches.dtype != np.uint8:
        raise CemBenchError(f"patch bank {name}: expected uint8 patches, got {patches.dtype}")
    if len(patches) == 0:
        raise CemBenchError(f"patch bank {name} is empty")
    patches = np.ascontiguousarray(patches)
    patches.setflags(write=False)
    return PatchBank(name=name, patches=patches, sha256=array_sha256(patches))


def cut_tiles(image: np.ndarray, size: int) -> np.ndarray:
    """All non-overlapping ``size`` x ``size`` tiles of ``image`` in reading order.

    >>> cut_tiles(np.zeros((17, 9, 3), np.uint8), 8).shape
    (2, 8, 8, 3)
    """
    rows, cols = image.shape[0] // size, image.shape[1] // size
    cropped = image[: rows * size, : cols * size]
    tiles = cropped.reshape(rows, size, cols, size, 3).swapaxes(1, 2)
    return tiles.reshape(rows * cols, size, size, 3)


@lru_cache(maxsize=4)
def skimage_bank(size: int = 8) -> PatchBank:
    """The embedded default bank of ``size``-pixel patches (deterministic, see module docstring)."""
    tiles = np.concatenate([cut_tiles(skimage_rgb(name), size) for name in BANK_SOURCES])
    tiles = tiles[tiles.reshape(len(tiles), -1).mean(axis=1) >= MIN_MEAN]
    count = min(BANK_SIZE, len(tiles))
    picks = np.linspace(0, len(tiles) - 1, count).round().astype(np.int64)
    return _validated(skimage_bank_name(size), tiles[picks])


def _patches_header(path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of the ``patches`` array of an ``.npz`` bank, read from its header only."""
    if not zipfile.is_zipfile(path):
        raise CemBenchError(f"patch bank {path} is not an .npz (zip) archive")
    with zipfile.ZipFile(path) as archive:
        if "patches.npy" not in archive.namelist():
            raise CemBenchError(f"{path}: no 'patches' array in the bank file")
        with archive.open("patches.npy") as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)  # the header only, no data
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise CemBenchError(f"patch bank {path}: unsupported .npy format version {version}")
    return shape, dtype


def load_npz_bank(path: str | Path, name: str | None = None) -> PatchBank:
    """A bank from an ``.npz`` file with a ``patches`` array (``uint8 [N, P, P, 3]``, at most
    :data:`MAX_BANK_BYTES`). The header is checked before any data is read, and a file that is not a
    zip archive, is damaged or holds anything else is a one-line :class:`CemBenchError`."""
    path = Path(path)
    if not path.is_file():
        raise CemBenchError(f"patch bank file not found: {path}")
    try:
        shape, dtype = _patches_header(path)
        if dtype != np.uint8 or len(shape) != 4:
            raise CemBenchError(f"patch bank {path}: expected uint8 patches of shape [N, P, P, 3], got {dtype} {shape}")
        if int(np.prod(shape, dtype=np.int64)) > MAX_BANK_BYTES:
            raise CemBenchError(f"patch bank {path}: {shape} is larger than {MAX_BANK_BYTES >> 20} MiB")
        with np.load(path, allow_pickle=False) as data:
            patches = data["patches"]
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as error:
        raise CemBenchError(f"cannot read patch bank {path}: {error}") from None
    return _validated(name or path.stem, patches)


def div2k_bank_path() -> Path | None:
    """Where ``div2k-8`` is read from: ``$CEM_BENCH_DIV2K_BANK`` when set, else the shared assets' file
    (``None`` when there is none)."""
    explicit = os.environ.get(DIV2K_ENV)
    return Path(explicit) if explicit else asset_path(DIV2K_FILE)


def reference_bank() -> PatchBank:
    """The reference bank ``div2k-8`` (module docstring); any other content under that name is refused."""
    path = div2k_bank_path()
    if path is None:
        raise CemBenchError(
            f"bank div2k-8 needs {DIV2K_FILE} of the shared assets (CEM_BENCH_ASSETS) or a bank built from the "
            f"CEM reference repository (`cem-bench data bank --from DIR --out FILE.npz`, then {DIV2K_ENV}=FILE.npz); "
            f"the embedded default is {DEFAULT_BANK}"
        )
    if os.environ.get(DIV2K_ENV) and not path.is_file():
        raise CemBenchError(f"{DIV2K_ENV} names {path}, which is not a file (build it with `cem-bench data bank`)")
    bank = load_npz_bank(path, name=REFERENCE_BANK)
    if bank.sha256 != DIV2K_8_SHA256:
        raise CemBenchError(
            f"{path} is not the reference bank div2k-8 (content sha256 {bank.sha256[:12]}…, expected "
            f"{DIV2K_8_SHA256[:12]}…); other patches are another bank: name the file itself as the bank"
        )
    return bank


def bank_sha256(spec: str) -> str:
    """The content hash a bank named ``spec`` has: the reference bank's is pinned (its loader refuses any
    other content), so it needs no file; any other bank is loaded."""
    return DIV2K_8_SHA256 if spec == REFERENCE_BANK else load_bank(spec).sha256


def load_bank(spec: str = DEFAULT_BANK) -> PatchBank:
    """Resolve a bank name (``div2k-8``: :func:`reference_bank`; ``skimage-P``) or an ``.npz`` path."""
    match = re.fullmatch(rf"{re.escape(SKIMAGE_PREFIX)}(\d+)", spec)
    if match:
        size = int(match.group(1))
        if not 1 <= size <= 64:
            raise CemBenchError(f"skimage bank patch size must be 1..64, got {size}")
        return skimage_bank(size)
    if spec == REFERENCE_BANK:
        return reference_bank()
    if spec.endswith(".npz"):
        return load_npz_bank(spec)
    raise CemBenchError(f"unknown patch bank {spec!r} (use {REFERENCE_BANK}, {DEFAULT_BANK} or a path to an .npz file)")
