"""The zoo's training recipe: one YAML config per model, validated with pydantic.

A config names the model, what it is the pair member *for* (``finding``, ``pair``, ``differs``), the
architecture exactly as a model card does, the degradations it is trained on (several = an equal mix,
one task drawn per sample) and the schedule. Everything that is not a field here is the same for
every zoo model: L1 loss (``balanced_l1`` for the multi-task set, see ``loop.py``), Adam (betas 0.9/0.99), cosine learning-rate decay to ``lr_min``, the data set named by
``data`` (:mod:`cem_bench.models.train.data`), ``torch.set_num_threads(threads)``. A config with ``init``
fine-tunes from published weights instead of training from scratch (:mod:`.base_weights`).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import Field, field_validator, model_validator

from cem_bench.core.config import Sha256Text, StrictModel, read_yaml_file
from cem_bench.core.tasks import Task, get_task
from cem_bench.models.card import Architecture, TaskSupport


class Schedule(StrictModel):
    seed: int = Field(default=0, ge=0)
    iterations: int = Field(ge=1)
    batch: int = Field(default=16, ge=1)
    patch: int = Field(default=48, ge=8)  # side of the ground-truth (output) training patch
    lr: float = Field(default=5e-4, gt=0)
    lr_min: float = Field(default=1e-5, ge=0)
    # Fine-tuning (a config with init): the learning rate of the new layers, which start from nothing while
    # the published ones only need nudging (None: lr for every layer). Decays to lr_min like lr.
    lr_new: float | None = Field(default=None, gt=0)
    validate_every: int = Field(default=100, ge=1)
    threads: int = Field(default=1, ge=1)  # CPU results depend on the thread count: part of the recipe
    loss: Literal["l1", "balanced_l1"] = "l1"  # balanced_l1: each task's L1 relative to its input's (a mix)
    # Whose random training patches: "name" seeds the patch draws by the model's name (the first zoo: each
    # member of a pair sees other crops), "pair" by the pair id, so every member trains on the very same batches.
    samples: Literal["name", "pair"] = "name"


class InitFrom(StrictModel):
    """Published weights a model is fine-tuned from (:mod:`cem_bench.models.train.base_weights`).

    ``file`` lies in the shared assets' ``checkpoints/`` folder and must have ``sha256``; ``key`` and
    ``strip_prefix`` read it as a card's ``weights`` do. ``new`` (shell-style patterns of parameter names,
    e.g. ``B*.cca.*``) names the layers the network has and the checkpoint lacks: they, and only they, start
    from the recipe's seed; any other missing, unexpected or mis-shaped parameter is refused.
    """

    file: str
    sha256: Sha256Text
    key: str | None = None
    strip_prefix: str | None = None
    new: tuple[str, ...] = ()

    @field_validator("file")
    @classmethod
    def _inside_checkpoints(cls, value: str) -> str:
        path = PurePosixPath(value)
        if path.is_absolute() or ".." in path.parts or not path.name:
            raise ValueError("a path relative to the shared assets' checkpoints/ folder, without '..'")
        return value

    @property
    def base_name(self) -> str:
        """The checkpoint's name without folder and suffix, as cards and logs say it (``bsrn_ntire2022_x4``)."""
        return PurePosixPath(self.file).stem


class TrainConfig(StrictModel):
    name: str = Field(pattern=r"^zoo-[a-z0-9][a-z0-9._-]*$")
    description: str
    finding: Literal[1, 2, 3]
    pair: str  # models sharing a pair id share data, seed, schedule and size
    differs: str  # what this member has that the others of its pair do not
    paper: str  # of the architecture
    architecture: Architecture
    scale: int = Field(default=1, ge=1)
    pre_upsample: bool = False
    tasks: list[TaskSupport] = Field(min_length=1)
    mix: list[float] | None = None  # relative frequency of each task in a multi-task mix (default: equal)
    # Training and validation images (data.DATA_SETS): skimage (the first zoo) or sun-hays80 (+ CSun_Hays80).
    data: Literal["skimage", "sun-hays80"] = "skimage"
    init: InitFrom | None = None  # fine-tune from these published weights (None: train from scratch)
    train: Schedule

    @model_validator(mode="after")
    def _consistent(self) -> "TrainConfig":
        for entry in self.tasks:
            if len(entry.levels) > 1:
                raise ValueError(f"task {entry.task}: train one level per model, got {entry.levels}")
            if entry.task == "sr" and entry.levels and entry.levels[0] != int(entry.levels[0]):
                raise ValueError("sr levels are integer scales")
        sr_scales = {int(entry.levels[0]) if entry.levels else 4 for entry in self.tasks if entry.task == "sr"}
        if self.pre_upsample and self.scale != 1:
            raise ValueError("a pre-upsampled (same-size) network has scale 1")
        if not self.pre_upsample and any(scale != self.scale for scale in sr_scales):
            raise ValueError(f"sr levels {sorted(sr_scales)} differ from the network scale {self.scale}")
        if self.scale > 1 and any(entry.task != "sr" for entry in self.tasks):
            raise ValueError("an upscaling network can only train on sr")
        if self.mix is not None and (len(self.mix) != len(self.tasks) or min(self.mix) <= 0):
            raise ValueError("mix needs one positive frequency per task")
        if self.train.loss == "balanced_l1" and self.scale != 1:
            raise ValueError("balanced_l1 compares the output with the input: same-size models only")
        if self.train.lr_new is not None and self.init is None:
            raise ValueError("train.lr_new is the learning rate of the layers init lacks: it needs init")
        if self.train.patch % max(sr_scales | {1}):
            raise ValueError("the patch side must be a multiple of the sr scale")
        return self

    def benchmark_tasks(self) -> list[Task]:
        """The training mix as the benchmark's own task objects (their ``degrade`` makes every pair)."""
        tasks = []
        for entry in self.tasks:
            level = entry.levels[0] if entry.levels else None
            if entry.task == "sr":
                tasks.append(get_task("sr", scale=int(level) if level else 4))
            elif entry.task == "dn":
                tasks.append(get_task("dn", sigma=level))
            else:
                tasks.append(get_task(entry.task))
        return tasks


def read_config(path: str | Path) -> TrainConfig:
    """Load and validate a training config; problems become one readable line."""
    return read_yaml_file(TrainConfig, path, "training config")
