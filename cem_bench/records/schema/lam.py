"""A LAM record (``lam.record.build_record``): was ``schemas/lam.schema.json``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from cem_bench.records.schema.base import (
    AtLeastTwo,
    Fraction,
    Int,
    NonNegativeInt,
    NonNegativeNumber,
    Number,
    OpenModel,
    Percent,
    PositiveInt,
    PositiveNumber,
    SchemaVersion,
)
from cem_bench.records.schema.cem import Environment, Image, ModelIdentity


class Method(OpenModel):
    """``LAMSettings.describe``: the path, the integration rule and its resolution."""

    name: Literal["lam"]
    version: PositiveInt
    id: str
    target: str
    path: str
    rule: Literal["right"]
    sigma: PositiveNumber
    kernel_size: PositiveInt
    steps: PositiveInt


class LamTask(OpenModel):
    name: Literal["sr"]  # LAM is defined for super-resolution only
    version: Int
    scale: AtLeastTwo


class LamWindow(OpenModel):
    x: NonNegativeInt
    y: NonNegativeInt
    size: PositiveInt


class Completeness(OpenModel):
    """Integrated-gradients completeness: the attribution sum against the target's change along the path."""

    target_input: Number
    target_baseline: Number
    attribution_sum: Number
    gap: Number


# The attribution map, normalised to [0, 1]: at least one row of at least one pixel.
AttributionMap = Annotated[list[Annotated[list[Fraction], Field(min_length=1)]], Field(min_length=1)]


class LamResult(OpenModel):
    """cem-bench LAM result of one (SR model, image, window)."""

    model_config = ConfigDict(title="cem-bench LAM result of one (SR model, image, window)")

    schema_version: SchemaVersion
    method: Method
    task: LamTask
    model: ModelIdentity
    image: Image
    window: LamWindow
    attribution: AttributionMap
    attribution_max: PositiveNumber
    diffusion_index: Percent
    gini: Fraction
    completeness: Completeness
    forwards: AtLeastTwo  # the baseline and at least one step
    seconds: NonNegativeNumber
    environment: Environment
