"""The package's layers (docs/architecture.md): every import runs down, never up or sideways, and no
module imports itself back through others. Read from the source with ``ast``: nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Bottom to top. Packages on one floor are siblings: they may not import each other.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("model_registry",),
    ("core",),
    ("cem", "lam", "models"),
    ("records",),
    ("analysis",),
    ("report",),
    ("pipeline",),
    ("cli",),
    ("cem_bench",),  # the package's face: cem_bench/__init__.py re-exports the public API
)
FLOOR = {room: level for level, rooms in enumerate(FLOORS) for room in rooms}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(module: str) -> str | None:
    """The layer a dotted module name belongs to (``cem_bench.cem.estimator`` -> ``cem``)."""
    parts = module.split(".")
    if parts[0] == "model_registry":
        return "model_registry"
    if parts[0] != "cem_bench":
        return None
    return parts[1] if len(parts) > 1 else "cem_bench"


def imports(path: Path) -> list[str]:
    """Every module ``path`` imports, anywhere in the file (function bodies and TYPE_CHECKING too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import (the layers are spelled out in absolute imports)"
            found.append(node.module or "")
    return found


def sources() -> list[Path]:
    return sorted([*(ROOT / "cem_bench").rglob("*.py"), *(ROOT / "model_registry").rglob("*.py")])


def test_every_package_has_a_floor() -> None:
    rooms = {room(module_name(path)) for path in sources()}
    assert rooms <= set(FLOOR), f"packages without a floor in FLOORS: {rooms - set(FLOOR)}"


@pytest.mark.parametrize("path", sources(), ids=lambda path: str(path.relative_to(ROOT)))
def test_imports_run_down(path: Path) -> None:
    here = room(module_name(path))
    wrong = []
    for target in imports(path):
        there = room(target)
        if there is None or there == here:
            continue
        if FLOOR[there] >= FLOOR[here]:
            wrong.append(f"{target} ({there}, floor {FLOOR[there]}) from {here} (floor {FLOOR[here]})")
    assert wrong == [], f"{path.relative_to(ROOT)} imports up or sideways: {wrong}"


def test_model_registry_is_data_and_architectures_only() -> None:
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "model_registry").rglob("*.py")
                 if any(target.startswith("cem_bench") for target in imports(path))]
    assert offenders == []


def test_no_import_cycles() -> None:
    """No module reaches itself through the imports of others (function-level imports included)."""
    known = {module_name(path): path for path in sources()}

    def resolve(target: str) -> str | None:  # `from a.b import c` may name module a.b.c or attribute c of a.b
        while target and target not in known:
            target = target.rpartition(".")[0]
        return target or None

    graph = {name: {resolved for target in imports(path) if (resolved := resolve(target)) and resolved != name}
             for name, path in known.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == [], f"import cycles: {cycles[:5]}"


def test_the_package_root_holds_only_its_face() -> None:
    modules = sorted(path.name for path in (ROOT / "cem_bench").glob("*.py"))
    assert modules == ["__init__.py"]
