"""Configuration models (:class:`StrictModel`) and reading a YAML file into one, with every problem reported as one readable line.

Suites, model cards and zoo training configs all go through :func:`validate_yaml`, so a user sees
``invalid model card x.yaml: weights.sha256: ...`` rather than a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from cem_bench.core.errors import CemBenchError
from cem_bench.core.parsing import NestedTooDeeply

Model = TypeVar("Model", bound=BaseModel)


_DIGITS_64 = re.compile(r"^[0-9]{64}$")


class _Loader(yaml.SafeLoader):
    """``yaml.safe_load``, except that a plain scalar of exactly 64 decimal digits stays text.

    Such a scalar is a sha256 that happens to have no letter in it. YAML 1.1 would read it as an integer,
    and as an *octal* one when it starts with 0 (the leading zeros gone), so no later conversion could
    give the digest back for certain; resolving it as text keeps the characters the user wrote.
    """


_Loader.yaml_implicit_resolvers = {first: list(resolvers) for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
for _first in "0123456789":  # before the int resolver: the first matching resolver wins
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).insert(0, ("tag:yaml.org,2002:str", _DIGITS_64))


def _digest_text(value: Any) -> Any:
    """A sha256 that reached a model as an integer (a card built from ``yaml.safe_load`` elsewhere): its text
    when that is certain (64 digits, no leading zero lost), else a refusal that says to quote it."""
    if isinstance(value, int) and not isinstance(value, bool):
        if len(str(value)) == 64:
            return str(value)
        raise ValueError(f"a sha256 was read as the number {value} ({len(str(value))} digits): YAML drops leading "
                         'zeros and reads 0-led digits as octal, so quote it: sha256: "0123…"')
    return value


# A sha256 in a configuration file: 64 lower-case hex digits; see _digest_text for digits YAML read as a number.
Sha256Text = Annotated[str, BeforeValidator(_digest_text), Field(pattern=r"^[0-9a-f]{64}$")]


def load_yaml(raw: str) -> Any:
    """``yaml.safe_load`` of ``raw``, with 64-digit scalars kept as text (:class:`_Loader`); nesting past
    the recursion limit is :class:`~cem_bench.core.parsing.NestedTooDeeply`.

    >>> load_yaml("sha256: " + "0" * 63 + "7")["sha256"] == "0" * 63 + "7"
    True
    """
    try:
        return yaml.load(raw, Loader=_Loader)  # a SafeLoader subclass: safe_load plus one resolver
    except RecursionError:
        raise NestedTooDeeply() from None


def yaml_mapping(raw: str, what: str) -> dict[str, Any]:
    """The YAML mapping in ``raw``; text that is not YAML, or not a mapping, is one line naming ``what``.

    >>> yaml_mapping("- 1", "params file p.yaml")
    Traceback (most recent call last):
    cem_bench.core.errors.CemBenchError: params file p.yaml is not a YAML mapping
    """
    try:
        data = load_yaml(raw)
    except yaml.YAMLError as error:
        raise CemBenchError(f"{what} is not valid YAML: {str(error).splitlines()[0]}") from None
    except NestedTooDeeply as error:
        raise CemBenchError(f"{what} is {error}") from None
    if not isinstance(data, dict):
        raise CemBenchError(f"{what} is not a YAML mapping")
    return data


class StrictModel(BaseModel):
    """The base of every configuration model (cards, suites, training configs): unknown keys are errors
    (a typo must not be silently ignored) and a validated value cannot change afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Fields added after files were fingerprinted: left out of the dump while None, so every file written
    # before a field existed keeps its hash (card_sha256, suite hash, unit fingerprints).
    OMIT_WHEN_NONE: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _omit_absent_late_fields(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        for name in self.OMIT_WHEN_NONE:
            if getattr(self, name) is None:
                data.pop(name, None)
        return data


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
    data = yaml_mapping(raw, what)
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
