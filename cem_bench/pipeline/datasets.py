"""The ``datasets/`` folder under DVC: the embedded evaluation images and patch banks, written deterministically.

``cem-bench data build`` writes, from what ships with scikit-image (no download, no shared assets)::

    datasets/
      images/skimage/<name>.png   the evaluation split (EVAL_IMAGES), full size, RGB PNG
      banks/skimage-<P>.npz       the embedded patch banks (``patches``: uint8 [N, P, P, 3])
      MANIFEST.json               every file with its sha256, source and role

Every byte is a function of the scikit-image and zlib versions only (PNG without metadata, npz written
with fixed zip timestamps), so ``datasets.dvc`` (``dvc add datasets``) matches a fresh build and
``dvc status`` is clean. The shared assets are *not* copied in: they are referenced where they lie
(``assets:`` sources), because a ``datasets.dvc`` whose content depends on whether ``../shared`` is
present could not match everywhere. ``verify`` checks that a suite's embedded inputs equal the
versioned copies; the DVC ``data`` stage runs it before any scoring.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from cem_bench.core.banks import load_bank, load_npz_bank, skimage_bank, skimage_bank_name
from cem_bench.core.errors import CemBenchError
from cem_bench.core.files import atomic_write_bytes
from cem_bench.core.images import EVAL_IMAGES, SKIMAGE_PREFIX, file_sha256, skimage_rgb
from cem_bench.core.parsing import parse_json

BANK_SIZES = (8, 12, 16)  # the block sizes the suites and the robustness ablations use
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed entry timestamps: the npz bytes do not depend on when it was built
MANIFEST = "MANIFEST.json"


def png_bytes(rgb: np.ndarray) -> bytes:
    """``rgb`` as PNG without ancillary chunks (no time, no text): identical bytes for identical pixels."""
    buffer = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(buffer, format="PNG", optimize=False, compress_level=9)
    return buffer.getvalue()


def npz_bytes(patches: np.ndarray, **extra: np.ndarray) -> bytes:
    """A ``.npz`` holding ``patches`` (then ``extra`` arrays, in order) that
    :func:`cem_bench.core.banks.load_npz_bank` reads, with fixed timestamps and no pickled objects."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, value in {"patches": patches, **extra}.items():
            array = io.BytesIO()
            np.lib.format.write_array(array, np.ascontiguousarray(value), allow_pickle=False)
            entry = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, array.getvalue())
    return buffer.getvalue()


def _image_path(name: str) -> str:
    return f"images/skimage/{name}.png"


def _bank_path(bank_name: str) -> str:
    return f"banks/{bank_name}.npz"


def _file_names() -> list[str]:
    """The relative paths ``build`` writes (the keys of :func:`_files`, without building anything)."""
    return [*map(_image_path, EVAL_IMAGES), *(_bank_path(skimage_bank_name(size)) for size in BANK_SIZES)]


def _files() -> dict[str, tuple[bytes, dict[str, Any]]]:
    """Relative path -> (bytes, manifest entry) of everything ``build`` writes."""
    files: dict[str, tuple[bytes, dict[str, Any]]] = {}
    for name in EVAL_IMAGES:
        rgb = skimage_rgb(name)
        files[_image_path(name)] = (png_bytes(rgb), {
            "role": "evaluation image", "source": f"{SKIMAGE_PREFIX}{name}", "size": [rgb.shape[1], rgb.shape[0]]})
    for size in BANK_SIZES:
        bank = skimage_bank(size)
        files[_bank_path(bank.name)] = (npz_bytes(bank.patches), {
            "role": "patch bank", "source": bank.name, "patches": len(bank), "patches_sha256": bank.sha256})
    return files


def build(out: str | Path = "datasets") -> list[Path]:
    """Write ``out`` (see the module docstring); files already identical are left untouched."""
    root = Path(out)
    entries, written = {}, []
    for relative, (content, entry) in _files().items():
        path = root / relative
        entries[relative] = {**entry, "sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)}
        if not (path.is_file() and path.read_bytes() == content):
            atomic_write_bytes(path, content)
        written.append(path)
    manifest = {"layout": "cem-bench datasets v1 (docs/pipeline.md)", "files": dict(sorted(entries.items()))}
    atomic_write_bytes(root / MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    return [*written, root / MANIFEST]


def check_manifest(root: Path) -> None:
    """``root``'s MANIFEST.json is readable and every file it lists is there with its recorded sha256."""
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise CemBenchError(f"no {manifest_path}: run `cem-bench data build` (or `dvc pull`) first")
    try:
        files = parse_json(manifest_path.read_bytes())["files"]
        listed = {str(relative): str(entry["sha256"]) for relative, entry in files.items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        listed = {}
    if set(listed) != set(_file_names()):  # also keeps every path it reads inside root
        raise CemBenchError(f"{manifest_path} is not the manifest `cem-bench data build` writes: rebuild with it")
    for relative, sha256 in listed.items():
        path = root / relative
        if not path.is_file() or file_sha256(path) != sha256:
            raise CemBenchError(f"{path} is missing or differs from {manifest_path}: rebuild with `cem-bench data build`")


def verify(suite: Any, datasets: str | Path = "datasets") -> dict[str, Any]:
    """Check that ``suite``'s embedded inputs equal their versioned copies under ``datasets``.

    Every ``skimage:`` image of the suite must equal ``images/skimage/NAME.png`` pixel for pixel, and a
    ``skimage-P`` bank must equal ``banks/skimage-P.npz``, and every file MANIFEST.json lists must carry
    its recorded sha256. Returns what was checked (sha256 of the
    decoded pixels / patches), for the DVC ``data`` stage to write; a mismatch or a missing file is an error.
    """
    root = Path(datasets)
    check_manifest(root)
    checked: dict[str, Any] = {"suite": suite.id, "images": {}, "bank": None}
    for image in suite.images:
        source = image.chosen().source
        if not source.startswith(SKIMAGE_PREFIX):
            checked["images"][image.id] = {"source": source, "versioned": False}
            continue
        name = source[len(SKIMAGE_PREFIX):]
        path = root / _image_path(name)
        if not path.is_file():
            raise CemBenchError(f"{path} is missing: rebuild with `cem-bench data build`")
        stored = np.asarray(Image.open(path).convert("RGB"))
        if not np.array_equal(stored, skimage_rgb(name)):
            raise CemBenchError(f"{path} differs from scikit-image's {name}: rebuild with `cem-bench data build`")
        checked["images"][image.id] = {"source": source, "versioned": str(path),
                                       "sha256": hashlib.sha256(stored.tobytes()).hexdigest()}
    bank_name = suite.protocol.bank
    bank_file = root / _bank_path(bank_name)
    if bank_file.is_file():
        stored_bank, bank = load_npz_bank(bank_file, name=bank_name), load_bank(bank_name)
        if stored_bank.sha256 != bank.sha256:
            raise CemBenchError(f"{bank_file} differs from the bank {bank_name}: rebuild with `cem-bench data build`")
        checked["bank"] = {"name": bank_name, "versioned": str(bank_file), "sha256": bank.sha256}
    else:
        checked["bank"] = {"name": bank_name, "versioned": False}
    return checked
