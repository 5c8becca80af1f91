"""The one registry pattern: registration, lazy package discovery, one-line errors."""

from __future__ import annotations

import sys

import pytest

from cem_bench.cli.commands import COMMANDS
from cem_bench.core.errors import CemBenchError
from cem_bench.core.registry import Registry
from cem_bench.core.tasks import TASKS
from cem_bench.pipeline.executors import EXECUTORS


def test_a_name_registered_twice_is_an_error() -> None:
    registry = Registry[int]("number")
    registry.register("one", 1)
    with pytest.raises(CemBenchError, match="number 'one' is registered twice"):
        registry.register("one", 2)


def test_unknown_names_list_the_known_ones_or_suggest() -> None:
    with pytest.raises(CemBenchError, match=r"unknown task 'xx' \(choose from sr, dn, dr\)"):
        TASKS.get("xx")
    with pytest.raises(CemBenchError, match=r"did you mean serial\?"):
        EXECUTORS.get("serail")


def test_package_entries_are_imported_only_when_asked_for() -> None:
    sys.modules.pop("cem_bench.pipeline.executors.ray", None)
    registry = Registry.from_package("executor", "cem_bench.pipeline.executors", attribute="create")
    assert registry.names() == ["ray", "serial"]  # private modules (_base) are not entries
    assert "cem_bench.pipeline.executors.ray" not in sys.modules
    assert registry.get("serial")().name == "serial"


def test_every_command_module_registers_a_command() -> None:
    assert {"score", "run", "lam", "submit", "check"} <= set(COMMANDS.names())
    assert all(hasattr(COMMANDS.get(name), "register") for name in COMMANDS.names())
