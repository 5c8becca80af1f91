"""Which code a model card may run: the vetted builder behind each ``architecture`` source.

A card is data, but ``architecture`` names code that runs with the card's ``kwargs``. So a card only ever
reaches a *model builder*, vetted before anything is called:

* ``project``: a class of ``model_registry.archs`` (every entry is an ``nn.Module`` subclass).
* ``basicsr``: a name registered in basicsr's ``ARCH_REGISTRY`` (exact name: basicsr's ``_basicsr``
  suffix fallback is not used; every entry is an ``nn.Module`` subclass, checked again here).
* ``module`` (``pkg.mod:attr``): code the user chose to make importable. Refused before the module is
  imported: the standard library (``sys.stdlib_module_names``, built-in and frozen modules), ``__main__``,
  cem-bench itself (``cem_bench``, ``model_registry``: name project architectures with ``source:
  project``), and any module found in site-packages / dist-packages or another install folder of this
  interpreter, unless its top-level package belongs to a declared plug-in (a distribution with an entry
  point in ``cem_bench.models``, see :mod:`cem_bench.models.plugins`). What remains is a plug-in or the
  user's own module on ``PYTHONPATH`` / the working directory. After the import, ``attr`` must be either
  a class that subclasses ``nn.Module``, or a plain Python function defined in that module (or one of its
  submodules, so a package may re-export its own factory) whose return annotation resolves to an
  ``nn.Module`` subclass. Re-exports such as ``os:system`` or ``builtins:eval``, builtins, partials,
  callable instances and unannotated functions are refused without being called.
* ``spandrel``: nothing to vet; spandrel builds from the state dict.

A vetted basicsr class may still read a file named by its kwargs (``SpyNet(load_path=...)``,
``DFDNet(dict_path=...)`` call ``torch.load`` on it, outside the weights' sha256 check and confinement), so
basicsr builders run with file opening and URL loading switched off (:func:`no_file_access`): a card's
weights come only from its ``weights`` entry.

Decision: refusals are one-line :class:`CemBenchError` s naming the card's builder and why. Whatever the
builder raises on the card's kwargs also becomes one line (a card's kwargs are input, not code), and the
result must be an ``nn.Module``.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import importlib.util
import inspect
import io
import site
import sys
import sysconfig
import typing
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import torch
import torch.hub
from torch import nn

from cem_bench.core.errors import CemBenchError
from cem_bench.models.architectures import project_architectures
from cem_bench.models.card import MODULE_BUILDER, Architecture
from cem_bench.models.plugins import plugin_packages
from model_registry.compat import import_basicsr_archs

Builder = Callable[..., nn.Module]
# Never model builders: the running script, and the benchmark itself (its architectures: source project).
_NEVER = frozenset({"__main__", "cem_bench", "model_registry"})
_INSTALL_FOLDER_NAMES = frozenset({"site-packages", "dist-packages"})
# How a card's module is found, said whenever it is not (README: "Submit your model", "Plug-in packages").
IMPORT_ROUTE = ("a `source: module` builder is imported by name: put the folder holding it on PYTHONPATH "
                "(e.g. PYTHONPATH=/path/to/dir cem-bench ...), or install it as a plug-in package declaring an "
                "entry point in the group cem_bench.models")


class BuilderRefused(CemBenchError):
    """A card names code that is not a model builder (nothing was called), or a builder tried to read a file."""

    def __init__(self, spec: str, reason: str) -> None:
        super().__init__(f"model builder {spec!r} refused: {reason}")


@lru_cache(maxsize=1)
def _install_folders() -> tuple[Path, ...]:
    """Where this interpreter keeps the standard library, installed packages and scripts."""
    keys = ("stdlib", "platstdlib", "purelib", "platlib", "scripts")
    folders = [sysconfig.get_paths().get(key) for key in keys]
    folders += [*site.getsitepackages(), site.getusersitepackages()]
    return tuple(Path(folder).resolve() for folder in folders if folder)


def installed_location(path: str | Path) -> bool:
    """Whether ``path`` lies in site-packages / dist-packages or another install folder of this Python.

    >>> installed_location("/usr/lib/python3/dist-packages/numpy/__init__.py")
    True
    >>> installed_location("/home/me/project/my_nets.py")
    False
    """
    resolved = Path(path).resolve()
    if _INSTALL_FOLDER_NAMES & set(resolved.parts):
        return True
    return any(resolved.is_relative_to(folder) for folder in _install_folders())


def _locations(spec: importlib.machinery.ModuleSpec) -> list[str]:
    if spec.origin and spec.has_location:
        return [spec.origin]
    return list(spec.submodule_search_locations or [])  # a namespace package: every folder it spans


def _check_location(spec_text: str, module: str) -> None:
    """Refuse ``module`` (before it is imported) unless it is the user's own code or a plug-in's."""
    try:
        found = importlib.util.find_spec(module)  # imports parent packages only, already vetted
    except (ImportError, ValueError) as error:
        raise CemBenchError(f"cannot import model builder {spec_text!r}: {error}; {IMPORT_ROUTE}") from None
    if found is None:
        raise CemBenchError(f"cannot import model builder {spec_text!r}: No module named {module!r}; {IMPORT_ROUTE}")
    if found.origin in ("built-in", "frozen"):
        raise BuilderRefused(spec_text, f"{module} is part of the Python interpreter")
    locations = _locations(found)
    if not locations:
        raise BuilderRefused(spec_text, f"{module} has no file to vet")
    installed = [place for place in locations if installed_location(place)]
    top = module.partition(".")[0]
    if installed and top not in plugin_packages():
        raise BuilderRefused(spec_text, f"{module} is an installed package ({installed[0]}) that is not a "
                                        "cem-bench plug-in; a card may name only your own module or a plug-in's")


def _returns_module(function: Callable[..., object]) -> bool:
    try:
        returned = typing.get_type_hints(function).get("return")
    except Exception:  # noqa: BLE001 - an annotation that does not resolve is no promise of a module
        return False
    return inspect.isclass(returned) and issubclass(returned, nn.Module)


def module_builder(spec_text: str) -> Builder:
    """The vetted builder ``pkg.mod:attr`` (rules in the module docstring); nothing of it is called."""
    if not MODULE_BUILDER.fullmatch(spec_text):  # cards built in code skip the schema's spelling check
        raise BuilderRefused(spec_text, "not spelled package.module:attribute")
    module_name, _, attr = spec_text.partition(":")
    top = module_name.partition(".")[0]
    if top in sys.stdlib_module_names or top in sys.builtin_module_names:
        raise BuilderRefused(spec_text, f"{top} is in the Python standard library")
    if top in _NEVER:
        raise BuilderRefused(spec_text, f"{top} is not a model builder (cem-bench's own architectures: source project)")
    _check_location(spec_text, top)
    if module_name != top:
        _check_location(spec_text, module_name)
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 - the user's module may fail in any way; report it in one line
        missing = getattr(error, "name", None) if isinstance(error, ModuleNotFoundError) else None
        hint = f" ({module_name} imports {missing}, which is not installed)" if missing else ""
        raise CemBenchError(f"cannot import model builder {spec_text!r}: {_first_line(error)}{hint}") from None
    if not hasattr(module, attr):
        raise CemBenchError(f"cannot import model builder {spec_text!r}: module {module_name!r} has no attribute {attr!r}")
    builder = getattr(module, attr)
    if inspect.isclass(builder):
        if issubclass(builder, nn.Module):
            return builder
        raise BuilderRefused(spec_text, f"class {attr} is not a subclass of torch.nn.Module")
    if not inspect.isfunction(builder):
        raise BuilderRefused(spec_text, f"{attr} is a {type(builder).__name__}, not an nn.Module class or a "
                                        "model-building function")
    home = getattr(builder, "__module__", None) or ""
    if home != module_name and not home.startswith(module_name + "."):
        raise BuilderRefused(spec_text, f"{attr} is defined in {home or 'an unknown module'}, not in {module_name}")
    if not _returns_module(builder):
        raise BuilderRefused(spec_text, f"function {attr} is not annotated to return an nn.Module "
                                        f"(write `def {attr}(...) -> nn.Module`)")
    return builder


def _class_builder(kind: str, name: str, found: object) -> Builder:
    if not (inspect.isclass(found) and issubclass(found, nn.Module)):
        raise BuilderRefused(f"{kind}:{name}", "not an nn.Module class")
    return found


def builder_for(arch: Architecture) -> Builder | None:
    """The vetted builder of a card's architecture (``None`` for spandrel, which builds from weights)."""
    if arch.source == "project":
        return _class_builder("project", arch.name, project_architectures().get(arch.name))
    if arch.source == "basicsr":
        import_basicsr_archs()
        from basicsr.utils.registry import ARCH_REGISTRY

        if arch.name not in ARCH_REGISTRY:  # exact names only (no "_basicsr" suffix fallback)
            raise CemBenchError(f"unknown basicsr architecture {arch.name!r}")
        return _class_builder("basicsr", arch.name, ARCH_REGISTRY.get(arch.name))
    if arch.source == "module":
        return module_builder(arch.name)
    return None


@contextlib.contextmanager
def no_file_access(who: str) -> Iterator[None]:
    """While a third-party builder runs: opening a file, ``torch.load`` and URL loading raise instead."""

    def refuse(*args: object, **kwargs: object) -> None:
        target = args[0] if args else kwargs.get("file", kwargs.get("f", kwargs.get("url", "?")))
        raise BuilderRefused(who, f"it tried to read {str(target)!r} (a card's weights come only from its "
                                  "`weights` entry, sha256-checked)")

    patches = [(builtins, "open"), (io, "open"), (torch, "load"), (torch.hub, "load_state_dict_from_url"),
               (torch.hub, "download_url_to_file")]
    saved = [(owner, name, getattr(owner, name)) for owner, name in patches]
    for owner, name in patches:
        setattr(owner, name, refuse)
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def build(arch: Architecture, card_name: str) -> nn.Module:
    """Call the vetted builder with the card's kwargs; any failure or a non-module result is one line."""
    builder = builder_for(arch)
    if builder is None:
        raise CemBenchError(f"architecture source {arch.source} builds from a state dict, not from a card alone")
    guard = no_file_access(f"basicsr:{arch.name}") if arch.source == "basicsr" else contextlib.nullcontext()
    try:
        with guard:
            network = builder(**arch.kwargs)
    except BuilderRefused:
        raise
    except Exception as error:  # noqa: BLE001 - the kwargs come from a card: bad values are input errors
        raise CemBenchError(f"cannot build {card_name} ({arch.source}:{arch.name}): {_first_line(error)}") from None
    if not isinstance(network, nn.Module):
        raise CemBenchError(f"{arch.source}:{arch.name} returned a {type(network).__name__}, not an nn.Module")
    return network


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0]}" if text else type(error).__name__
