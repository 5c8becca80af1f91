"""The result of several ROIs of one image scored together (``cem-bench score --roi A --roi B ...``).

Each entry of ``maps`` holds what a single-ROI result holds for its ROI, plus its map metrics; its
``forwards`` is what a single-ROI run of that ROI evaluates. The top-level ``forwards`` and ``seconds``
are what the shared run actually cost, and ``groups`` says which ROIs shared forwards.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from cem_bench.records.schema.base import (
    BlockMap,
    NonNegativeInt,
    NonNegativeNumber,
    Number,
    Omittable,
    OpenModel,
    PositiveInt,
    SampleCounts,
    SchemaVersion,
    omitted,
)
from cem_bench.records.schema.cem import (
    Acceleration,
    Counts,
    EffectRange,
    Environment,
    Grid,
    Image,
    ModelIdentity,
    Protocol,
    Roi,
    Task,
)
from cem_bench.records.schema.suite import MapMetrics


class RoiMap(OpenModel):
    roi: Roi
    psnr_roi: Number
    psnr_input: Omittable[Number] = omitted()  # as in a single result (absent in older files)
    psnr_gain: Omittable[Number] = omitted()
    ce: BlockMap
    n_samples: SampleCounts
    stderr: BlockMap
    counts: Counts
    effect_range: EffectRange
    metrics: MapMetrics
    fine_blocks: NonNegativeInt
    forwards: PositiveInt
    acceleration: Acceleration


class MultiResult(OpenModel):
    """cem-bench result of one (model, task, image) and several ROIs."""

    model_config = ConfigDict(title="cem-bench result of one (model, task, image) and several ROIs")

    schema_version: SchemaVersion
    protocol: Protocol
    task: Task
    model: ModelIdentity
    image: Image
    grid: Grid
    maps: list[RoiMap] = Field(min_length=2)
    groups: list[list[NonNegativeInt]] = Field(min_length=1)
    forwards: PositiveInt
    seconds: NonNegativeNumber
    environment: Environment
