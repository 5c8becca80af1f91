"""Finding, verifying and safely reading checkpoint files.

Search order for a card's ``weights.file`` (first hit wins): an explicit path given by the user, the
folders in ``$CEM_BENCH_WEIGHTS`` (os.pathsep-separated), the cache ``$CEM_BENCH_CACHE`` (default
``~/.cache/cem-bench/weights``), the folder of the card file itself (``file`` relative to the card, e.g.
the zoo's ``../zoo/weights/NAME.pt``, which ship in the repository), then ``checkpoints/`` of the shared
assets when present. A URL is only downloaded when the caller allows it, into the cache, and is always
checked against sha256.
Checkpoints are read with ``torch.load(weights_only=True)`` or safetensors: files that need code to
unpickle are refused, and any unreadable file (empty, text, truncated) is a one-line error naming it.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import tempfile
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import torch

from cem_bench.core.assets import assets_dir
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import file_sha256
from cem_bench.models.card import ModelCard, Weights


def cache_dir() -> Path:
    return Path(os.environ.get("CEM_BENCH_CACHE", Path.home() / ".cache" / "cem-bench" / "weights"))


def search_dirs(card_dir: Path | None = None) -> list[Path]:
    dirs = [Path(part) for part in os.environ.get("CEM_BENCH_WEIGHTS", "").split(os.pathsep) if part]
    dirs.append(cache_dir())
    if card_dir is not None:
        dirs.append(card_dir)
    shared = assets_dir()
    if shared is not None:
        dirs.append(shared / "checkpoints")
    return dirs


def find_weights(weights: Weights) -> Path | None:
    """The first existing file for ``weights.file`` along the search path, else ``None``."""
    if not weights.file:
        return None
    relative = Path(weights.file)
    if relative.is_absolute():
        return relative if relative.is_file() else None
    for folder in search_dirs(weights.card_dir):
        for candidate in (folder / relative, folder / relative.name):
            if candidate.is_file():
                return candidate
    return None


def download(weights: Weights, name: str) -> Path:
    """Fetch ``weights.url`` into the cache, verifying sha256 before it is kept."""
    target = cache_dir() / (weights.file or f"{name}.pth")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
        try:
            with urllib.request.urlopen(weights.url, timeout=60) as response:  # noqa: S310 (user-approved URL)
                shutil.copyfileobj(response, handle)
        except OSError as error:
            os.unlink(handle.name)
            raise CemBenchError(f"cannot download weights for {name} from {weights.url}: {error}") from None
    digest = file_sha256(handle.name)
    if digest != weights.sha256:
        os.unlink(handle.name)
        raise CemBenchError(f"downloaded weights for {name} have sha256 {digest[:12]}…, card says {weights.sha256[:12]}…")
    os.replace(handle.name, target)
    return target


def resolve_weights(card: ModelCard, explicit: str | Path | None = None, allow_download: bool = False) -> Path:
    """The verified checkpoint path for ``card`` (see module docstring for the search order)."""
    assert card.weights is not None
    path = Path(explicit) if explicit else find_weights(card.weights)
    if explicit and not path.is_file():
        raise CemBenchError(f"weights file not found: {explicit}")
    if path is None:
        if card.weights.url and allow_download:
            return download(card.weights, card.name)
        hint = " (or allow downloading from its url)" if card.weights.url else ""
        raise CemBenchError(
            f"weights for {card.name} not found: looked for {card.weights.file!r} in "
            f"{', '.join(str(d) for d in search_dirs(card.weights.card_dir))}; "
            f"pass --weights FILE or set CEM_BENCH_WEIGHTS{hint}"
        )
    digest = file_sha256(path)
    if digest != card.weights.sha256:
        raise CemBenchError(f"weights {path} have sha256 {digest[:12]}…, but card {card.name} says {card.weights.sha256[:12]}…")
    return path


def _one_line(error: BaseException, limit: int = 200) -> str:
    """The first line of an error, shortened (torch's messages run long), prefixed by its type."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _unpickling_refusal(path: Path, error: pickle.UnpicklingError) -> CemBenchError:
    """``weights_only`` refuses code (a GLOBAL it does not allow) and garbage alike: tell the two apart."""
    message = str(error)
    needed = re.search(r"GLOBAL ([\w.]+)", message)
    if needed:
        return CemBenchError(
            f"{path.name} needs code to unpickle ({needed.group(1)}: a whole pickled model?) and is refused for "
            "safety; export a state dict instead: torch.save(model.state_dict(), 'weights.pth')")
    detail = next((line.strip() for line in message.splitlines()
                   if line.strip() and not line.startswith(("Weights only load failed", "Please file", "Check the"))),
                  "unreadable pickle")
    return CemBenchError(f"{path} is not a checkpoint torch can read safely ({detail})")


def _load(path: Path) -> Any:
    """The file's object, or a one-line :class:`CemBenchError` naming it: never a traceback."""
    if not path.is_file():
        raise CemBenchError(f"checkpoint {path} is not a file")
    if path.stat().st_size == 0:
        raise CemBenchError(f"checkpoint {path} is empty (0 bytes)")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except Exception as error:  # noqa: BLE001 - SafetensorError and OSError alike
            raise CemBenchError(f"cannot read checkpoint {path}: {_one_line(error)}") from None
    try:
        with warnings.catch_warnings():  # torch warns about odd pickle protocols: noise beside a one-line verdict
            warnings.simplefilter("ignore", UserWarning)
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise _unpickling_refusal(path, error) from None
    except Exception as error:  # noqa: BLE001 - a hostile or broken file makes torch.load raise anything
        raise CemBenchError(f"cannot read checkpoint {path}: {_one_line(error)}") from None


def read_state_dict(path: str | Path, key: str | None = None, strip_prefix: str | None = None) -> dict[str, torch.Tensor]:
    """Read a state dict safely: safetensors, or ``torch.load(weights_only=True)``; failures are one line."""
    path = Path(path)
    state = _load(path)
    if key is not None:
        if not isinstance(state, dict) or key not in state:
            raise CemBenchError(f"checkpoint {path.name} has no key {key!r}")
        state = state[key]
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise CemBenchError(f"checkpoint {path.name} is not a state dict of tensors")
    if strip_prefix:
        state = {(k[len(strip_prefix):] if k.startswith(strip_prefix) else k): v for k, v in state.items()}
    return state
