"""A suite result file, one per (model, task) (``aggregate.assemble``): was ``schemas/suite_result.schema.json``.

Version 2 (``schema_version``): aggregates with an interval over images (``n_units``, ``n_images``, ``reason``;
``bootstrap.method`` "studentized cluster"). Version 1 files (a percentile bootstrap over (image, ROI) units,
``n``) are refused with a pointer to ``cem-bench aggregate --rewrite-aggregates``, which rewrites them from
their stored units.

Its units are also cached one per file (``runner.score_unit``) and validated alone, as the old
``suite_result#unit`` fragment; :data:`models.KINDS` maps every old ``suite_result#DEF`` name to a model here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from cem_bench.records.schema.base import (
    BlockMap,
    Crop3,
    Fraction,
    Hex16,
    Int,
    NonEmptyStr,
    NonNegativeInt,
    NonNegativeNumber,
    NonPositiveNumber,
    Number,
    Omittable,
    OpenFraction,
    OpenModel,
    Percent,
    PositiveInt,
    SampleCounts,
    Sha256,
    Size2,
    StrictRecord,
    SuiteSchemaVersion,
    omitted,
)
from cem_bench.records.schema.cem import Acceleration, Backend, EffectRange, Grid, Roi, TaskName

# --- shared definitions (the old schema's $defs) ----------------------------------------------------------

class SuiteBank(OpenModel):
    name: Any  # untyped here (a str in the single-result schema)
    sha256: Sha256


class SuiteProtocol(OpenModel):  # $defs/protocol: looser than the single result's (no sampling enum, untyped)
    """The protocol every unit of the file was scored with (its id, settings, bank and hash)."""

    id: str
    version: Int
    block: Any
    coarse: Any
    fine: Any
    tol: Any
    seed: NonNegativeInt
    bank: SuiteBank
    hash: str


class SuiteTask(OpenModel):  # $defs/task
    """The task with its suite label (e.g. ``sr-x4``)."""

    label: str
    name: TaskName
    version: Int


class CI(StrictRecord):  # $defs/ci
    """One metric's aggregate (``analysis.bootstrap.image_ci``): the mean over the units that define it and the
    interval over images; ``low``/``high`` null with a ``reason`` below the minimum number of images, every
    number null when no unit defines the metric."""

    mean: Number | None
    low: Number | None
    high: Number | None
    n_units: NonNegativeInt
    n_images: NonNegativeInt
    reason: str | None = Field(description="why there is no interval or one of its limits is null (null when it has both)")


class MapMetrics(StrictRecord):
    """The numbers a causal effect map gives alone; null = undefined for this map (e.g. no effect at all)."""

    positive: NonNegativeInt
    negative: NonNegativeInt
    zero: NonNegativeInt
    positive_sum: NonNegativeNumber
    negative_sum: NonPositiveNumber
    effect_range: NonNegativeNumber
    negative_fraction: Fraction | None
    causal_radius: NonNegativeNumber | None
    diffusion_index: Percent | None


class Metrics(MapMetrics):  # $defs/metrics
    """One unit's numbers: its map's, plus the PSNRs (and LAM's DI for SR)."""

    psnr_roi: Number
    psnr_input: Number
    psnr_gain: Number
    # LAM Diffusion Index on the same window (SR only; null otherwise). May also be absent (older files):
    # absent stays absent and null stays null because dumps use exclude_unset, not exclude_none.
    lam_di: Percent | None = Field(default=None, description="LAM Diffusion Index on the same window "
                                                                "(SR only; null otherwise)")


class UnitModel(OpenModel):
    name: Any  # untyped in the old $defs/unit
    weights_sha256: Sha256 | None
    card_sha256: Sha256


class UnitImage(OpenModel):
    id: str
    source: str
    crop: Crop3 | None  # [x, y, size] cut from the source, null for the whole image
    sha256: Sha256
    size: Size2
    lq_sha256: Sha256


class UnitEnvironment(OpenModel):
    """As a single result's; ``backend`` (what ran the forwards) is absent in units computed before
    backends existed, which ran on torch."""

    package_version: Any
    git_revision: Any
    device: Any
    backend: Omittable[Backend] = omitted()


class Unit(OpenModel):  # $defs/unit, also cached alone as <out>/<suite>/.units/<key>.json
    """One (image, ROI) map of the model with its metrics."""

    key: NonEmptyStr
    fingerprint: Hex16
    protocol: SuiteProtocol
    task: SuiteTask
    model: UnitModel
    image: UnitImage
    roi: Roi
    grid: Grid
    metrics: Metrics
    effect_range: EffectRange
    ce: BlockMap
    n_samples: SampleCounts
    stderr: BlockMap
    forwards: PositiveInt
    seconds: NonNegativeNumber
    environment: UnitEnvironment
    # Whether the gradient screen and the crop ran for this map (the map's own record's); absent in units
    # computed before it was recorded.
    acceleration: Omittable[Acceleration] = omitted()


# --- the file itself ------------------------------------------------------------------------------------

class SuiteInfo(OpenModel):
    name: NonEmptyStr
    id: str
    hash: Hex16
    description: str


class CardTask(OpenModel):
    task: Any  # a card's task entry (task, levels, ...): only its presence was checked


class SuiteModel(OpenModel):
    name: str
    card_sha256: Sha256
    weights_sha256: Sha256 | None
    params: NonNegativeInt | None  # null when the card does not state a parameter count
    analytic: bool
    multi_task: bool
    card_tasks: Annotated[list[CardTask], Field(min_length=1)]


class Seeds(OpenModel):
    protocol: NonNegativeInt
    bootstrap: NonNegativeInt


class Bootstrap(OpenModel):
    """How the aggregates' intervals were drawn: a studentized cluster bootstrap over images."""

    method: Literal["studentized cluster"]
    resampled: Literal["images"]
    min_images: PositiveInt
    resamples: PositiveInt
    seed: NonNegativeInt
    level: OpenFraction


class SuiteEnvironment(OpenModel):
    package_version: Any
    git_revision: Any
    created: Any


class Aggregates(OpenModel):
    """Every metric's CI: these twelve are required, any other key (``lam_di``) must be a CI too."""

    __pydantic_extra__: dict[str, CI] = Field(init=False)  # typed extras = additionalProperties: {$ref: ci}

    psnr_roi: CI
    psnr_input: CI
    psnr_gain: CI
    positive: CI
    negative: CI
    zero: CI
    positive_sum: CI
    negative_sum: CI
    effect_range: CI
    negative_fraction: CI
    causal_radius: CI
    diffusion_index: CI


class SuiteResult(StrictRecord):
    """cem-bench suite result of one (model, task): every (image, ROI) unit and bootstrap aggregates."""

    model_config = ConfigDict(title="cem-bench suite result of one (model, task): every (image, ROI) unit and "
                                    "bootstrap aggregates")

    schema_version: SuiteSchemaVersion
    suite: SuiteInfo
    protocol: SuiteProtocol
    task: SuiteTask
    model: SuiteModel
    seeds: Seeds
    bootstrap: Bootstrap
    environment: SuiteEnvironment
    aggregates: Aggregates
    units: Annotated[list[Unit], Field(min_length=1)]
