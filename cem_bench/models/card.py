"""The model card schema: one small YAML file per model, validated with pydantic."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, field_validator, model_validator

from cem_bench.core.config import Sha256Text, StrictModel, read_yaml_file

TaskName = Literal["sr", "dn", "dr"]
# ``package.module:attribute`` of a ``source: module`` builder: dotted identifiers, one colon, one attribute.
MODULE_BUILDER = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*")


class Architecture(StrictModel):
    """How to build the network.

    ``source``: ``project`` (``model_registry/archs``), ``spandrel`` (detected from the state dict;
    ``name`` is the architecture id spandrel must detect), ``basicsr`` (an ``ARCH_REGISTRY`` name) or
    ``module`` (``name`` = ``package.module:attribute``, an ``nn.Module`` class or a function annotated
    ``-> nn.Module``). A card names code: which builders it may reach, and that nothing is called before
    they are vetted, is :mod:`cem_bench.models.builders`' rule; the schema only checks the spelling.
    """

    source: Literal["project", "spandrel", "basicsr", "module"]
    name: str
    kwargs: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _module_spelling(self) -> "Architecture":
        if self.source == "module" and not MODULE_BUILDER.fullmatch(self.name):
            raise ValueError(f"a module builder is spelled package.module:attribute, not {self.name!r}")
        return self


class Weights(StrictModel):
    """Where the state dict is and how to read it.

    ``file`` is relative to the weight search roots and never leaves them (:mod:`cem_bench.models.weights`);
    ``url`` must be ``https://`` (checked here, when the card is read): a card may not make cem-bench read
    local files through ``file://`` or fetch over an unauthenticated channel.
    """

    file: str | None = None
    url: str | None = None
    sha256: Sha256Text  # 64 digits without a letter stay text (YAML would read a number: core.config)
    key: str | None = None  # sub-dict holding the state dict, e.g. "params"
    strip_prefix: str | None = None  # e.g. "module." from DataParallel checkpoints
    # Folder of the card file this came from (set by read_card): weights may ship beside their card.
    _card_dir: Path | None = PrivateAttr(default=None)

    @property
    def card_dir(self) -> Path | None:
        return self._card_dir

    @field_validator("url")
    @classmethod
    def _https_only(cls, url: str | None) -> str | None:
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme.lower() != "https" or not parts.netloc:
                raise ValueError(f"only https:// downloads are allowed, not {url!r}")
        return url

    @model_validator(mode="after")
    def _has_location(self) -> "Weights":
        if not self.file and not self.url:
            raise ValueError("weights need a file and/or a url")
        return self


class InputConventions(StrictModel):
    """What the network expects; the loader converts from the benchmark's RGB in [0, 1]."""

    range: Literal[1, 255] = 1
    color: Literal["rgb", "luma"] = "rgb"
    noise_map: bool = False  # FFDNet-style extra input: sigma / 255
    scale_argument: bool = False  # CARN-style multi-scale call: net(x, scale)
    # Same-size network used for SR: the loader bicubic-upsamples the LR input by the task's scale first.
    pre_upsample: bool = False


class TaskSupport(StrictModel):
    """A degradation the model was trained for: ``levels`` are scales (sr) or sigmas (dn)."""

    task: TaskName
    levels: list[float] = Field(default_factory=list)


class Origin(StrictModel):
    paper: str
    repository: str | None = None
    notes: str | None = None


class ValidationPoint(StrictModel):
    """Mean PSNR (dB, the protocol's) on the held-out validation crops after ``iteration`` iterations."""

    iteration: int = Field(ge=1)
    psnr: dict[str, float]  # task label -> PSNR


class FineTunedFrom(StrictModel):
    """The published weights a zoo model was fine-tuned from (its config's ``init``)."""

    file: str  # in the shared assets' checkpoints/ folder
    sha256: Sha256Text
    new_parameters: list[str] = Field(default_factory=list)  # absent from that file: initialised from the seed


class Training(StrictModel):
    """Provenance of a model trained by ``cem-bench train``: how long, on what, and its validation curve."""

    config: str  # the training config, relative to the repository when inside it
    data: str  # the config's data set (cem_bench.models.train.data.DATA_SETS)
    iterations: int = Field(ge=1)
    wall_seconds: float = Field(ge=0)  # training time over all sessions (work redone after a kill counts once)
    resumed_at: list[int] = Field(default_factory=list)  # iterations after which training was resumed
    validation_crops: int = Field(ge=1)
    curve: list[ValidationPoint] = Field(min_length=1)
    fine_tuned_from: FineTunedFrom | None = None  # None: trained from scratch

    OMIT_WHEN_NONE = ("fine_tuned_from",)


class ModelCard(StrictModel):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    description: str
    tasks: list[TaskSupport] = Field(min_length=1)
    scale: int = Field(default=1, ge=1)
    architecture: Architecture
    weights: Weights | None = None
    input: InputConventions = Field(default_factory=InputConventions)
    origin: Origin
    license: str
    params: int | None = None
    analytic: bool = False  # ground-truth model with exact, known causal support
    training: Training | None = None  # written by `cem-bench train` (zoo models)

    OMIT_WHEN_NONE = ("training",)

    @property
    def task_names(self) -> frozenset[str]:
        """The task names the card lists (whether a level fits is :mod:`cem_bench.models.task_fit`'s rule)."""
        return frozenset(entry.task for entry in self.tasks)


def read_card(path: str | Path) -> ModelCard:
    """Load and validate a card; schema errors become one readable line."""
    path = Path(path)
    card = read_yaml_file(ModelCard, path, "model card")
    if card.weights is not None:
        card.weights._card_dir = path.resolve().parent
    return card
