"""Finding, verifying and safely reading checkpoint files.

Search order for a card's ``weights.file`` (first hit wins): an explicit path given by the user, the
folders in ``$CEM_BENCH_WEIGHTS`` (os.pathsep-separated), the cache ``$CEM_BENCH_CACHE`` (default
``~/.cache/cem-bench/weights``), the folder of the card file itself (``file`` relative to the card, e.g.
the zoo's ``../zoo/weights/NAME.pt``, which ship in the repository), then ``checkpoints/`` of the shared
assets when present. A URL is only downloaded when the caller allows it, into the cache, and is always
checked against sha256.

Confinement (decision): a card is data and may not make cem-bench read any file it names. Each search
folder is also a *root* the file must stay in, symlinks resolved: ``$CEM_BENCH_WEIGHTS`` folders, the
cache and ``checkpoints/`` are their own roots; a card file's root is its own folder, except for the
cards shipped in the ``model_registry`` package, whose root is that package (so the zoo's
``../zoo/weights/NAME.pt`` stays valid). A ``file`` that is absolute or climbs with ``..`` is accepted only
where it lands inside a root; one that lands in none is refused (:class:`WeightsOutsideRoots`). A card
built in code has no folder and so no root of its own. The user's explicit path (``--weights``) is not
confined: the user chose it. Downloads are ``https://`` only (the card schema refuses other schemes; a
redirect to another scheme is refused too) and land in the cache: under ``file`` when that stays
inside it, else under the file's name alone.
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
from urllib.parse import urlsplit

import torch

from cem_bench.core.assets import assets_dir
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import file_sha256
from cem_bench.models.card import ModelCard, Weights
from cem_bench.models.key_hints import container_hint
from model_registry import ROOT as REGISTRY_ROOT


class WeightsOutsideRoots(CemBenchError):
    """A card's ``weights.file`` points outside every weight search root."""


def cache_dir() -> Path:
    return Path(os.environ.get("CEM_BENCH_CACHE", Path.home() / ".cache" / "cem-bench" / "weights"))


def card_root(card_dir: Path) -> Path:
    """The folder a card's ``file`` may not leave: the ``model_registry`` package for its own cards (the
    zoo's weights sit in ``../zoo/weights``), the card's folder for any other card."""
    folder = card_dir.resolve()
    return REGISTRY_ROOT.resolve() if folder.is_relative_to(REGISTRY_ROOT.resolve()) else folder


def search_roots(card_dir: Path | None = None) -> list[tuple[Path, Path]]:
    """``(folder, root)`` pairs in search order: ``file`` is looked up in ``folder`` and must stay in ``root``."""
    dirs = [Path(part) for part in os.environ.get("CEM_BENCH_WEIGHTS", "").split(os.pathsep) if part]
    pairs = [(folder, folder) for folder in dirs]
    pairs.append((cache_dir(), cache_dir()))
    if card_dir is not None:
        pairs.append((card_dir, card_root(card_dir)))
    shared = assets_dir()
    if shared is not None:
        pairs.append((shared / "checkpoints", shared / "checkpoints"))
    return pairs


def search_dirs(card_dir: Path | None = None) -> list[Path]:
    """The folders searched for a relative ``file``, in order."""
    return [folder for folder, _ in search_roots(card_dir)]


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _candidates(relative: Path, folder: Path) -> list[Path]:
    return [relative] if relative.is_absolute() else [folder / relative, folder / relative.name]


def outside_roots(weights: Weights) -> bool:
    """Whether ``weights.file`` would land outside every search root (``..`` escapes, foreign absolute paths)."""
    if not weights.file:
        return False
    relative = Path(weights.file)
    return not any(_inside(relative if relative.is_absolute() else folder / relative, root)
                   for folder, root in search_roots(weights.card_dir))


def _search(weights: Weights) -> tuple[Path | None, Path | None]:
    """``(found, escaped)``: the first file inside its root, and the first existing one skipped for resolving
    outside its root (a symbolic link out of it)."""
    if not weights.file or outside_roots(weights):
        return None, None
    relative, escaped = Path(weights.file), None
    for folder, root in search_roots(weights.card_dir):
        for candidate in _candidates(relative, folder):
            if candidate.is_file():
                if _inside(candidate, root):
                    return candidate, None
                escaped = escaped or candidate
    return None, escaped


def find_weights(weights: Weights) -> Path | None:
    """The first existing file for ``weights.file`` inside the search roots, else ``None`` (never outside)."""
    return _search(weights)[0]


def looked_in(weights: Weights) -> str:
    """Where a missing ``weights.file`` was looked for, as said to the user: the search folders in order."""
    if not weights.file:
        return "the card names no file, only a url"
    return f"looked for {weights.file!r} in {', '.join(str(folder) for folder in search_dirs(weights.card_dir))}"


def weights_status(weights: Weights) -> tuple[str, str]:
    """``(state, detail)`` for ``models list|show``: ``present`` and the file, ``refused`` (outside the search
    roots) or ``missing`` with where it was looked for."""
    found, escaped = _search(weights)
    if found is not None:
        return "present", str(found)
    if outside_roots(weights) or escaped is not None:
        return "refused", (f"{weights.file!r} lies outside the weight search roots; put it beside the card "
                           "or in $CEM_BENCH_WEIGHTS")
    url = f"; url {weights.url} (fetched by `cem-bench submit --allow-download`)" if weights.url else ""
    return "missing", f"{looked_in(weights)}{url}; pass --weights FILE or set CEM_BENCH_WEIGHTS"


class _HttpsOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to another ``https://`` address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # urllib's signature
        if urlsplit(newurl).scheme.lower() != "https":
            raise CemBenchError(f"download redirected to {newurl!r}: only https:// is followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(weights: Weights, name: str) -> Path:
    """Fetch ``weights.url`` (https only) into the cache, verifying sha256 before it is kept."""
    if not weights.url or urlsplit(weights.url).scheme.lower() != "https":
        raise CemBenchError(f"weights of {name}: only https:// downloads are allowed, not {weights.url!r}")
    cache = cache_dir()
    relative = Path(weights.file or f"{name}.pth")
    # Keep the card's sub-folder (two cards may share a name in different folders), never a way out of the cache.
    target = cache / relative if not relative.is_absolute() and _inside(cache / relative, cache) else cache / relative.name
    if not _inside(target, cache) or target.name in ("", ".", ".."):
        raise CemBenchError(f"weights of {name}: file name {weights.file!r} cannot be stored in the cache")
    target.parent.mkdir(parents=True, exist_ok=True)
    opener = urllib.request.build_opener(_HttpsOnlyRedirects)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
        try:
            with opener.open(weights.url, timeout=60) as response:
                shutil.copyfileobj(response, handle)
        except (OSError, CemBenchError) as error:
            os.unlink(handle.name)
            raise CemBenchError(f"cannot download weights for {name} from {weights.url}: {error}") from None
    digest = file_sha256(handle.name)
    if digest != weights.sha256:
        os.unlink(handle.name)
        raise CemBenchError(f"downloaded weights for {name} have sha256 {digest[:12]}…, card says {weights.sha256[:12]}…")
    os.replace(handle.name, target)
    return target


def resolve_weights(card: ModelCard, explicit: str | Path | None = None, allow_download: bool = False) -> Path:
    """The verified checkpoint path for ``card`` (see module docstring for the search order and roots)."""
    assert card.weights is not None
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise CemBenchError(f"weights file not found: {explicit}")
    else:
        found, escaped = _search(card.weights)
        if outside_roots(card.weights) or escaped is not None:
            roots = ", ".join(str(root) for _, root in search_roots(card.weights.card_dir))
            link = f" ({escaped} links out of them)" if escaped is not None else ""
            raise WeightsOutsideRoots(
                f"weights file {card.weights.file!r} of {card.name} is outside the weight search roots ({roots}){link}; "
                "refused: put it beside the card, in $CEM_BENCH_WEIGHTS, or pass --weights FILE")
        if found is None:
            if card.weights.url and allow_download:
                return download(card.weights, card.name)
            hint = " (or allow downloading from its url)" if card.weights.url else ""
            raise CemBenchError(f"weights for {card.name} not found: {looked_in(card.weights)}; "
                                f"pass --weights FILE or set CEM_BENCH_WEIGHTS{hint}")
        path = found
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
    """Read a state dict safely: safetensors, or ``torch.load(weights_only=True)``; failures are one line
    naming the card field that fixes them (``weights.key`` when the weights sit one level down)."""
    path = Path(path)
    state = _load(path)
    if key is not None:
        if not isinstance(state, dict) or key not in state:
            raise CemBenchError(f"checkpoint {path.name} has no key {key!r} (weights.key): {container_hint(state)}")
        state = state[key]
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        where = f"under weights.key {key!r} " if key is not None else ""
        raise CemBenchError(f"checkpoint {path.name} is not a state dict of tensors {where}({container_hint(state)})")
    if strip_prefix:
        state = {(k[len(strip_prefix):] if k.startswith(strip_prefix) else k): v for k, v in state.items()}
    return state
