"""The one pattern for everything looked up by name: tasks, commands, executors, architectures, models.

A :class:`Registry` maps names to entries. Entries are added with :meth:`Registry.register` (a decorator,
as in timm) or found in a package's modules (:meth:`Registry.from_package`: one module per entry, imported
only when its entry is asked for, so an optional dependency such as Ray costs nothing until it is used).
An unknown name is a :class:`CemBenchError` that lists the known ones and suggests close matches.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from cem_bench.core.errors import CemBenchError

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries of one ``kind`` by name, in registration order.

    >>> shapes = Registry[int]("shape")
    >>> _ = shapes.register("square", 4)
    >>> @shapes.register("triangle")
    ... def three(): return 3
    >>> shapes.names(), shapes.get("square")
    (['square', 'triangle'], 4)
    >>> shapes.get("sqare")
    Traceback (most recent call last):
    cem_bench.core.errors.CemBenchError: unknown shape 'sqare' (did you mean square?)
    """

    def __init__(self, kind: str, hint: str = "") -> None:
        self.kind = kind
        self.hint = hint  # said when nothing close is known, e.g. "see `cem-bench models list`"
        self._loaders: dict[str, Callable[[], T]] = {}
        self._cache: dict[str, T] = {}

    def register(self, name: str, entry: T | None = None):  # type: ignore[no-untyped-def]
        """Add ``entry`` under ``name``; without ``entry``, a decorator that adds what it decorates."""
        if entry is None:
            def decorate(obj: T) -> T:
                self.register(name, obj)
                return obj
            return decorate
        self._add(name, lambda: entry)
        return entry

    def register_lazy(self, name: str, loader: Callable[[], T]) -> None:
        """Add an entry that is built by ``loader()`` the first time it is asked for."""
        self._add(name, loader)

    def _add(self, name: str, loader: Callable[[], T]) -> None:
        if name in self._loaders:
            raise CemBenchError(f"{self.kind} {name!r} is registered twice")
        self._loaders[name] = loader

    @classmethod
    def from_package(cls, kind: str, package: str, attribute: str | None = None, hint: str = "") -> "Registry[T]":
        """One entry per module of ``package`` (names starting with ``_`` are private): the module itself,
        or its ``attribute``. Modules are imported lazily, on the first :meth:`get` of their name."""
        registry: Registry[T] = cls(kind, hint)
        module = importlib.import_module(package)
        for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda item: item.name):
            if info.name.startswith("_"):
                continue

            def load(name: str = f"{package}.{info.name}") -> T:
                loaded = importlib.import_module(name)
                return getattr(loaded, attribute) if attribute else loaded  # type: ignore[return-value]

            registry.register_lazy(info.name, load)
        return registry

    def names(self) -> list[str]:
        return list(self._loaders)

    def __contains__(self, name: object) -> bool:
        return name in self._loaders

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)

    def get(self, name: str) -> T:
        """The entry called ``name``; an unknown name is a one-line error with suggestions."""
        if name not in self._loaders:
            close = difflib.get_close_matches(name, self.names(), n=3)
            if close:
                hint = f"did you mean {', '.join(close)}?"
            else:
                hint = self.hint or f"known: {', '.join(self.names())}"
            raise CemBenchError(f"unknown {self.kind} {name!r} ({hint})")
        if name not in self._cache:
            self._cache[name] = self._loaders[name]()
        return self._cache[name]
