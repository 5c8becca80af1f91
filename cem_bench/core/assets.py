"""Where optional external assets live (the shared checkpoints, images and reference patch bank).

Nothing here is needed at import time: a fresh install runs on the embedded defaults (images bundled
with scikit-image and the ``skimage-8`` patch bank). ``CEM_BENCH_ASSETS`` points at an assets folder
laid out like ``shared/assets`` (``checkpoints/``, ``images/``, ``patchbank_div2k_8px.npz``); when it
is unset, ``../shared/assets`` relative to the working directory or to this checkout is used if it
exists.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "CEM_BENCH_ASSETS"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def assets_dir() -> Path | None:
    """The assets folder, or ``None`` when there is none on this machine."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit)
    for candidate in (Path.cwd() / ".." / "shared" / "assets", _REPO_ROOT / ".." / "shared" / "assets"):
        if candidate.is_dir():
            return candidate.resolve()
    return None


def asset_path(relative: str) -> Path | None:
    """``relative`` inside the assets folder when it exists there, else ``None``."""
    root = assets_dir()
    if root is None:
        return None
    path = root / relative
    return path if path.exists() else None
