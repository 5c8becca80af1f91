"""Building blocks of the record models: one strict base class and JSON-typed scalars.

The models replace hand-written JSON Schemas, so every scalar here means exactly what the JSON Schema
keyword it replaces meant (``"type": "integer"``, ``"type": "number"``, ``"pattern"``, ...), except where
a comment says otherwise. Validation is strict everywhere: JSON Schema never coerces ``"3"`` to 3 or
``true`` to 1, and neither may the models.

Presence vs null: JSON Schema distinguishes a key that is absent from a key that is ``null``. The models
keep that distinction by dumping with ``exclude_unset=True`` (never ``exclude_none``, which would drop
the nulls that records store on purpose, e.g. ``weights_sha256: null`` or ``lam_di: null``). A key that
may be left out but must not be null is declared ``Omittable[...] = omitted()``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AllowInfNan,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    Strict,
    StrictInt,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from cem_bench.core.config import StrictModel

T = TypeVar("T")


class StrictRecord(StrictModel):
    """An object whose JSON schema said ``additionalProperties: false``: unknown keys are errors (the
    project's :class:`~cem_bench.core.config.StrictModel`), and no value is coerced (JSON Schema never did)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class OpenModel(StrictRecord):
    """An object the old JSON schema left open (no ``additionalProperties``): unknown keys are kept as they are.

    Producers add keys freely (``timings``, ``fine_blocks``, ``degradation``, ...) and the committed files
    carry them, so closing these objects would be a behaviour change, not a port.
    """

    model_config = ConfigDict(extra="allow")


# --- integers -------------------------------------------------------------------------------------------

def _integral_float(value: Any) -> Any:
    # JSON Schema: 1.0 *is* an integer (JSON has one number type); it is stored back as 1
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _int(**bounds: int) -> Any:
    # Bounds sit on the int itself, inside the float->int step, so generated schemas say "minimum".
    return Annotated[int, Strict(), Field(**bounds), BeforeValidator(_integral_float)]


Int = _int()  # bools stay rejected (strict), as in JSON Schema
NonNegativeInt = _int(ge=0)
PositiveInt = _int(ge=1)
AtLeastTwo = _int(ge=2)


def _schema_version(value: Any) -> Any:
    # pydantic's Literal[1] accepts True (True == 1); JSON Schema's const 1 does not, but accepts 1.0
    if isinstance(value, bool):
        raise ValueError("must be the integer 1")
    return _integral_float(value)


SchemaVersion = Annotated[Literal[1], BeforeValidator(_schema_version)]


def _suite_schema_version(value: Any) -> Any:
    # A suite result's aggregates changed meaning in version 2 (an interval over images, not over units):
    # a version 1 file is refused with the way to rewrite it, never read as if it were the new kind.
    if isinstance(value, bool):
        raise ValueError("must be the integer 2")
    if _integral_float(value) == 1:
        raise ValueError("version 1 suite results hold intervals over (image, ROI) units; rewrite their "
                         "aggregates from their units with `cem-bench aggregate --rewrite-aggregates`")
    return _integral_float(value)


SuiteSchemaVersion = Annotated[Literal[2], BeforeValidator(_suite_schema_version)]


# --- numbers ----------------------------------------------------------------------------------------------

class _AsJsonNumber:
    """Show ``int | float`` as one ``{"type": "number", ...}`` in generated schemas (not an anyOf)."""

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        generated = handler(schema)
        branches = generated.get("anyOf", [])
        if len(branches) == 2 and branches[1].get("type") == "number":
            rest = {key: value for key, value in generated.items() if key != "anyOf"}
            return {**branches[1], **rest}
        return generated


# Deliberately stricter than the old schema: NaN and +-Infinity are refused. They are not JSON,
# write_result dumps with allow_nan=False (so such a record could never be written), and the project's
# convention is NaN -> null. The old validator accepted them because Python's json module parses them.
FiniteFloat = Annotated[float, Strict(), AllowInfNan(False)]


def _number(**bounds: float) -> Any:
    """A JSON number with bounds: an int stays an int and a float a float, so records round-trip exactly."""
    return Annotated[Annotated[StrictInt, Field(**bounds)] | Annotated[FiniteFloat, Field(**bounds)],
                     _AsJsonNumber()]


Number = _number()
NonNegativeNumber = _number(ge=0)
NonPositiveNumber = _number(le=0)
PositiveNumber = _number(gt=0)
Fraction = _number(ge=0, le=1)
OpenFraction = _number(gt=0, lt=1)
Percent = _number(ge=0, le=100)

# A block map: rows of numbers, null where a block is undefined (the ROI's own blocks, no samples).
BlockMap = list[list[Number | None]]
SampleCounts = list[list[NonNegativeInt]]

# --- strings -----------------------------------------------------------------------------------------------
# pydantic matches patterns with Rust's regex, where "$" is the end of the text. Python's re (used by the
# old validator) also lets "$" match before a final "\n": "<64 hex>\n" passed the old schema, not these.
Sha256 = Annotated[str, Strict(), StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Hex16 = Annotated[str, Strict(), StringConstraints(pattern=r"^[0-9a-f]{16}$")]
NonEmptyStr = Annotated[str, Strict(), StringConstraints(min_length=1)]

# --- arrays ------------------------------------------------------------------------------------------------
# Lists, not tuples: strict mode refuses a JSON array for a tuple, and dumps must give lists back.
Size2 = Annotated[list[Int], Field(min_length=2, max_length=2)]
Crop3 = Annotated[list[Int], Field(min_length=3, max_length=3)]


# --- keys that may be absent but not null ---------------------------------------------------------------

def _present(value: Any) -> Any:
    # Runs only for a key that was given (defaults are never validated): an explicit null is refused.
    if value is None:
        raise ValueError("may be left out, but not null")
    return value


Omittable = Annotated[T | None, AfterValidator(_present)]


def _drop_null_from_schema(schema: dict[str, Any]) -> None:
    # The generated schema should say what the old one said: the plain type, not required, no default.
    schema.pop("default", None)
    branches = [branch for branch in schema.pop("anyOf", []) if branch != {"type": "null"}]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches


def omitted() -> Any:
    """Default of an ``Omittable`` field: absent when not given (and left out of ``exclude_unset`` dumps)."""
    return Field(default=None, json_schema_extra=_drop_null_from_schema)


__all__ = ["AtLeastTwo", "BlockMap", "Crop3", "FiniteFloat", "Fraction", "Hex16", "Int", "NonEmptyStr",
           "NonNegativeInt", "NonNegativeNumber", "NonPositiveNumber", "Number", "Omittable", "OpenFraction",
           "OpenModel", "Percent", "PositiveInt", "PositiveNumber", "SampleCounts", "SchemaVersion", "Sha256",
           "Size2", "StrictRecord", "omitted"]
