"""A single CEM result (``scoring.build_record``): was ``schemas/result.schema.json``.

Fields typed ``Any`` were required by the old schema without a type ("required" with no "properties"
entry): the key must be there, its value is not checked. Kept that way so every record that was valid
stays valid; see REPORT.md for the ones worth tightening.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict

from cem_bench.records.schema.base import (
    AtLeastTwo,
    BlockMap,
    Int,
    NonEmptyStr,
    NonNegativeInt,
    NonNegativeNumber,
    Number,
    Omittable,
    OpenModel,
    PositiveInt,
    SampleCounts,
    SchemaVersion,
    Sha256,
    Size2,
    omitted,
)

TaskName = Literal["sr", "dn", "dr"]


class Bank(OpenModel):
    name: str
    sha256: Sha256


class Protocol(OpenModel):
    """``Protocol.describe``: settings, bank and hash; ``step`` only for adaptive sampling, ``fast`` only when on."""

    id: str
    version: Int
    sampling: Literal["coarse-fine", "adaptive"]
    block: PositiveInt
    coarse: PositiveInt
    fine: NonNegativeInt
    tol: NonNegativeNumber
    seed: NonNegativeInt
    bank: Bank
    hash: str
    step: Omittable[AtLeastTwo] = omitted()


class Task(OpenModel):
    """``Task.describe`` (+ ``degradation``): ``scale``/``sigma`` are extra keys, not checked."""

    name: TaskName
    version: Int


class ModelIdentity(OpenModel):
    """The model's name and weights hash; null for analytic models, which have no weights."""

    name: str
    weights_sha256: Sha256 | None


class Image(OpenModel):
    source: Any  # untyped in the old schema (a skimage: name, a path, or "array")
    sha256: Sha256
    size: Size2
    lq_sha256: Sha256


class Roi(OpenModel):
    x: Any
    y: Any
    size: Any


class Grid(OpenModel):
    rows: Any
    cols: Any
    block: Any
    in_block: Any


class Counts(OpenModel):
    positive: Int
    negative: Int
    zero: Int


class EffectRange(OpenModel):
    range: Any
    max: Any
    min: Any
    argmax: Any
    argmin: Any


class Backend(OpenModel):
    """``environment.backend``: what ran the forwards (``ServedModel.report()``; a backend adds its own keys).
    Absent in results written before backends existed, which ran on torch."""

    requested: NonEmptyStr  # the backend asked for: torch, onnxruntime
    used: Literal["torch", "onnxruntime", "mixed", "none"]  # mixed: some input shapes fell back to torch
    fallbacks: list[str]  # one line per input shape that fell back


class Environment(OpenModel):
    """``provenance.environment``: versions and device (``git_revision`` is ``{commit, dirty}``, not checked)."""

    package_version: Any
    git_revision: Any
    torch: Any
    device: Any
    backend: Omittable[Backend] = omitted()


class Window(OpenModel):
    y0: Any
    y1: Any
    x0: Any
    x1: Any


class Acceleration(OpenModel):
    """Exact accelerations (they do not change the map): ``screen``/``crop`` are what was asked for,
    ``screen_ran``/``crop_ran`` what ran (absent in results written before they were recorded: read the
    notes); ``window`` is null when the full image ran."""

    screen: bool
    crop: bool
    screen_ran: Omittable[bool] = omitted()  # the screen's support chose the sampled blocks
    crop_ran: Omittable[bool] = omitted()  # the forwards ran on ``window``, not the whole input
    probes: Omittable[NonNegativeInt] = omitted()
    margin: Omittable[NonNegativeInt] = omitted()
    screened_blocks: NonNegativeInt
    window: Window | None
    notes: list[str]
    aligns: Omittable[list[PositiveInt]] = omitted()


class CemResult(OpenModel):
    """cem-bench result of one (model, task, image, ROI)."""

    model_config = ConfigDict(title="cem-bench result of one (model, task, image, ROI)")

    schema_version: SchemaVersion
    protocol: Protocol
    task: Task
    model: ModelIdentity
    image: Image
    roi: Roi
    grid: Grid
    psnr_roi: Number
    # The degraded input's ROI PSNR and psnr_roi minus it; absent in results written before they were stored.
    psnr_input: Omittable[Number] = omitted()
    psnr_gain: Omittable[Number] = omitted()
    ce: BlockMap
    n_samples: SampleCounts
    stderr: BlockMap
    counts: Counts
    effect_range: EffectRange
    forwards: PositiveInt
    seconds: NonNegativeNumber
    environment: Environment
    acceleration: Omittable[Acceleration] = omitted()
