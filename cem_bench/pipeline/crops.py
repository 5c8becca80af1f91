"""A suite's evaluation images written out as PNG files, exactly the pixels its units score.

``cem-bench data crops --suite standard`` cuts every image of the suite from its own source (``assets:``,
``skimage:`` or a file; never a fallback) with its ``crop``, checks it against the content sha256 the
suite fixes (:meth:`cem_bench.core.image_source.ImageSource.read`), and writes::

    OUT/<image id>.png    the crop (PNG without metadata: same pixels, same bytes)
    OUT/MANIFEST.json     suite id, and per image: file, source, crop, content sha256, PNG sha256

The runner does not read these files (it cuts the same pixels itself); they are the suite's inputs made
visible and checkable, e.g. by the DVC ``crops`` stage. Nothing here is copied into the repository.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cem_bench.core.assets import ENV_VAR, assets_dir
from cem_bench.core.errors import CemBenchError
from cem_bench.core.files import atomic_write_bytes, output_folder
from cem_bench.core.image_source import ASSETS_PREFIX, ImageSource
from cem_bench.core.images import array_sha256
from cem_bench.pipeline.datasets import MANIFEST, png_bytes
from cem_bench.pipeline.suites import Suite

LAYOUT = "cem-bench suite crops v1 (docs/pipeline.md)"


def _missing_message(suite: Suite, missing: list[str]) -> str:
    shown = ", ".join(missing[:2]) + (", …" if len(missing) > 2 else "")
    text = f"suite {suite.name}: {len(missing)} of {len(suite.images)} images are not on this machine ({shown})"
    if not any(source.startswith(ASSETS_PREFIX) for source in missing):
        return text
    root = assets_dir()
    where = f"{ENV_VAR} is {root}" if root is not None else f"no assets folder ({ENV_VAR} unset, no ../shared/assets)"
    return (f"{text}: they come from the shared assets and {where}; set {ENV_VAR} to a folder laid out like "
            "shared/assets (where each image comes from: docs/standard_suite.md, Images)")


def _sources(suite: Suite) -> dict[str, ImageSource]:
    """Each image's own source (its fallback is never used); every missing one is named in one error."""
    sources = {image.id: ImageSource(source=image.source, crop=image.crop, sha256=image.sha256)
               for image in suite.images}
    missing = [source.source for source in sources.values() if source.path() is None]
    if missing:
        raise CemBenchError(_missing_message(suite, missing))
    return sources


def write_crops(suite: Suite, out: str | Path) -> dict[str, Any]:
    """Write ``suite``'s images under ``out`` (module docstring) and return the manifest.

    A folder holding PNG files that are not this suite's images is refused (a stale or foreign crop
    would sit beside the manifest unnoticed); files already identical are left untouched.
    """
    sources = _sources(suite)
    with output_folder(out) as folder:
        strangers = sorted(path.name for path in folder.glob("*.png") if path.stem not in sources)
        if strangers:
            raise CemBenchError(f"{folder} holds PNG files that are not images of suite {suite.name} "
                                f"({', '.join(strangers[:3])}); choose an empty folder")
        # every image is cut and checked (against its sha256 when the suite fixes one) before any is written
        pixels = {image_id: source.read() for image_id, source in sources.items()}
        images: dict[str, dict[str, Any]] = {}
        for image_id, rgb in pixels.items():
            source, content = sources[image_id], png_bytes(rgb)
            path = folder / f"{image_id}.png"
            if not (path.is_file() and path.read_bytes() == content):
                atomic_write_bytes(path, content)
            images[image_id] = {
                "file": path.name, "source": source.source, "crop": None if source.crop is None else list(source.crop),
                "sha256": array_sha256(rgb), "checked": source.sha256 is not None,
                "png_sha256": hashlib.sha256(content).hexdigest(), "size": [rgb.shape[1], rgb.shape[0]],
            }
        manifest = {"layout": LAYOUT, "suite": suite.id, "images": images}
        atomic_write_bytes(folder / MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    return manifest
