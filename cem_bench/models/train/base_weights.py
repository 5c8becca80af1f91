"""Fine-tuning from published weights: a config's ``init`` is loaded into the network before training.

Only permissively licensed checkpoints may be the base of weights the zoo ships (docs/zoo.md). The file is
read from the shared assets' ``checkpoints/`` folder (:func:`cem_bench.core.assets.asset_path`), checked
against its sha256 and read safely (:func:`cem_bench.models.weights.read_state_dict`). Every parameter of
the network must come from it except those the config names as ``new``; an unexpected, mis-shaped or
unannounced missing one is refused, so a typo in a layer name cannot silently train a layer from scratch.

The new layers are then initialised by their own ``reset_parameters`` under ``torch.manual_seed(seed)``,
outermost module first and in the network's module order, with the global random state saved and
restored around it: every member of a pair gets the same new weights whatever else it built or drew.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import torch
from torch import nn

from cem_bench.core.assets import ENV_VAR, asset_path
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import file_sha256
from cem_bench.models.train.recipe import InitFrom
from cem_bench.models.weights import read_state_dict


@dataclass(frozen=True)
class BaseLoaded:
    """What :func:`load_base` did: the file it read and the parameters it initialised itself."""

    path: Path
    new_keys: tuple[str, ...]


def base_path(init: InitFrom) -> Path:
    """The checkpoint file in the shared assets, verified against ``init.sha256``; else one line."""
    relative = f"checkpoints/{init.file}"
    path = asset_path(relative)
    if path is None:
        raise CemBenchError(f"fine-tuning from {init.base_name} needs the shared assets' {relative}: set {ENV_VAR} to "
                            "an assets folder that has it (training is a developer task; the shipped weights need none)")
    digest = file_sha256(path)
    if digest != init.sha256:
        raise CemBenchError(f"{path} has sha256 {digest[:12]}…, the config's init.sha256 says {init.sha256[:12]}…")
    return path


def _show(keys: list[str]) -> str:
    return ", ".join(keys[:4]) + (f" (+{len(keys) - 4} more)" if len(keys) > 4 else "")


def check_keys(network: nn.Module, state: dict[str, torch.Tensor], init: InitFrom) -> tuple[str, ...]:
    """The network's parameter names that ``init.new`` announces and the checkpoint lacks; refuses the rest."""
    expected = network.state_dict()
    unexpected = [key for key in state if key not in expected]
    wrong = [key for key in expected if key in state and state[key].shape != expected[key].shape]
    missing = [key for key in expected if key not in state]
    unannounced = [key for key in missing if not any(fnmatchcase(key, pattern) for pattern in init.new)]
    announced_present = [key for key in state if any(fnmatchcase(key, pattern) for pattern in init.new)]
    problems = [f"{label}: {_show(keys)}" for label, keys in (
        ("not in the network", unexpected), ("of another shape", wrong), ("missing and not in init.new", unannounced),
        ("in the checkpoint but matched by init.new", announced_present)) if keys]
    if problems:
        raise CemBenchError(f"{init.base_name} does not fit the network as its config says: {'; '.join(problems)}")
    return tuple(missing)


def _new_modules(network: nn.Module, new_keys: tuple[str, ...]) -> list[nn.Module]:
    """The outermost modules all of whose parameters and buffers are new, in the network's module order."""
    new, chosen, covered = set(new_keys), [], set()
    for name, module in network.named_modules():
        prefix = f"{name}." if name else ""
        keys = {prefix + key for key in module.state_dict()}
        if not keys or not keys <= new or keys <= covered:
            continue
        if not callable(getattr(module, "reset_parameters", None)):
            raise CemBenchError(f"new layer {name} has no reset_parameters(): it cannot be initialised from the seed")
        chosen.append(module)
        covered |= keys
    if covered != new:
        raise CemBenchError(f"new parameters {_show(sorted(new - covered))} belong to layers that also hold "
                            "published weights: they cannot be initialised on their own")
    return chosen


def load_base(network: nn.Module, init: InitFrom, seed: int) -> BaseLoaded:
    """Load ``init``'s weights into ``network`` and initialise its new layers from ``seed`` (module docstring)."""
    path = base_path(init)
    state = read_state_dict(path, key=init.key, strip_prefix=init.strip_prefix)
    new_keys = check_keys(network, state, init)
    network.load_state_dict(state, strict=False)  # check_keys allowed exactly new_keys to be absent
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in _new_modules(network, new_keys):
            module.reset_parameters()
    return BaseLoaded(path, new_keys)
