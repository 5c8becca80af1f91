"""Configuration models (:class:`StrictModel`) and reading a YAML file into one, with every problem reported as one readable line.

Suites, model cards and zoo training configs all go through :func:`validate_yaml`, so a user sees
``invalid model card x.yaml: weights.sha256: ...`` rather than a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from cem_bench.core.errors import CemBenchError

Model = TypeVar("Model", bound=BaseModel)


class StrictModel(BaseModel):
    """The base of every configuration model (cards, suites, training configs): unknown keys are errors
    (a typo must not be silently ignored) and a validated value cannot change afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def validate_yaml(model: type[Model], raw: str, what: str) -> Model:
    """``model`` validated from the YAML text ``raw``; ``what`` names the file in errors (e.g. ``suite x.yaml``).

    >>> from pydantic import BaseModel
    >>> class Point(BaseModel):
    ...     x: int
    >>> validate_yaml(Point, "x: 3", "point p.yaml").x
    3
    >>> validate_yaml(Point, "x: a", "point p.yaml")
    Traceback (most recent call last):
    cem_bench.core.errors.CemBenchError: invalid point p.yaml: x: Input should be a valid integer, unable to parse string as an integer
    """
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise CemBenchError(f"{what} is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise CemBenchError(f"{what} is not a YAML mapping")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, item['loc'])) or '<top level>'}: {item['msg']}" for item in error.errors())
        raise CemBenchError(f"invalid {what}: {problems}") from None


def read_text_file(path: str | Path, what: str) -> str:
    """The UTF-8 text of ``path``; a missing, unreadable or non-UTF-8 file is one line naming ``what``.

    YAML files are UTF-8 by definition of this project (cards, suites, params): bytes in another
    encoding are refused, not guessed at.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CemBenchError(f"cannot read {what} {path}: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CemBenchError(f"{what} {path} is not UTF-8 text (byte 0x{raw[error.start]:02x} at offset {error.start})") from None


def read_yaml_file(model: type[Model], path: str | Path, what: str) -> Model:
    """``model`` validated from the YAML file ``path``; ``what`` (e.g. ``model card``) names it in errors."""
    path = Path(path)
    return validate_yaml(model, read_text_file(path, what), f"{what} {path.name}")
