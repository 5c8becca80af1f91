"""Benchmark suites: which images, ROIs, tasks, models and protocol a ``cem-bench run`` scores.

A suite is a plain YAML file (``quick.yaml`` and ``standard.yaml`` ship with the package; any other file can
be named by path), validated here with pydantic. Image sources are ``skimage:NAME``, a file path
(relative to the working directory), or ``assets:RELATIVE`` inside the shared assets folder
(:func:`cem_bench.core.assets.asset_path`); an image may name a ``fallback`` used when its own source is not
on this machine (e.g. the full suite's shared 256x256 images -> scikit-image crops). ROIs are
``[x, y, size]`` in output (ground-truth) pixels of the cropped image, either one global list or one
list per image id. ``Suite.hash`` identifies the suite's content and is recorded in every result.
``ci_sample`` names unit keys that CI rescores and compares with their committed records (a suite too
large to rescore whole in CI: ``cem-bench check --rescore-sample``); it is not part of the hash.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from cem_bench.cem.protocol import Protocol
from cem_bench.core.config import StrictModel, read_text_file, validate_yaml
from cem_bench.core.errors import CemBenchError
from cem_bench.core.geometry import ROI
from cem_bench.core.image_source import Box, ImageSource, check_box
from cem_bench.core.tasks import Task, get_task


class ImageSpec(ImageSource):
    """One evaluation image of a suite, by ``id`` (used in unit keys and results)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    fallback: ImageSource | None = None

    def chosen(self) -> ImageSource:
        """The source used on this machine: its own when present, else the fallback."""
        if self.path() is not None or self.fallback is None:
            return ImageSource(source=self.source, crop=self.crop, sha256=self.sha256)
        return self.fallback


class TaskSpec(StrictModel):
    """A task with its level, e.g. ``{name: sr, scale: 4}`` or ``{name: dn, sigma: 50}``."""

    name: Literal["sr", "dn", "dr"]
    scale: int | None = None
    sigma: float | None = None

    @model_validator(mode="after")
    def _buildable(self) -> "TaskSpec":
        try:
            self.build()
        except CemBenchError as error:
            raise ValueError(str(error)) from None
        return self

    def build(self) -> Task:
        return get_task(self.name, scale=self.scale, sigma=self.sigma)

    @property
    def label(self) -> str:
        """``sr-x4``, ``dn-s50``, ``dr``: also the results sub-folder."""
        return self.build().label


class BootstrapSettings(StrictModel):
    """The aggregates' studentized cluster bootstrap over a result's images: ``resamples`` draws from ``seed``
    for a ``level`` interval (``cem_bench.analysis.bootstrap``)."""

    resamples: int = Field(default=2000, ge=1)
    seed: int = Field(default=0, ge=0)
    level: float = Field(default=0.95, gt=0, lt=1)


class Suite(StrictModel):
    """A benchmark suite (see the module docstring and ``docs/pipeline.md``)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str
    protocol: Protocol = Field(default_factory=Protocol)
    images: list[ImageSpec] = Field(min_length=1)
    rois: list[Box] | dict[str, list[Box]]
    tasks: list[TaskSpec] = Field(min_length=1)
    models: Literal["all"] | list[str] = "all"
    bootstrap: BootstrapSettings = Field(default_factory=BootstrapSettings)
    ci_sample: list[str] = Field(default_factory=list)
    # model name -> why it is left out of ``models: all`` (e.g. too slow for a CPU suite)
    exclude: dict[str, str] = Field(default_factory=dict)

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol(cls, value: Any) -> Any:
        if isinstance(value, dict):
            try:
                return Protocol(**value)
            except TypeError as error:  # unknown setting
                raise ValueError(str(error).replace("__init__() ", "")) from None
            except CemBenchError as error:
                raise ValueError(str(error)) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Suite":
        ids = [image.id for image in self.images]
        if len(set(ids)) != len(ids):
            raise ValueError(f"image ids must be unique, got {ids}")
        boxes = self.rois.values() if isinstance(self.rois, dict) else [self.rois]
        if isinstance(self.rois, dict) and set(self.rois) != set(ids):
            raise ValueError(f"per-image rois must name exactly the images {sorted(ids)}, got {sorted(self.rois)}")
        for box_list in boxes:
            if not box_list:
                raise ValueError("every image needs at least one ROI")
            for box in box_list:
                check_box(box, "roi")
        labels = [task.label for task in self.tasks]
        if len(set(labels)) != len(labels):
            raise ValueError(f"tasks must be distinct, got {labels}")
        for task in self.tasks:
            if self.protocol.block % task.build().scale:
                raise ValueError(f"task {task.label} does not fit block {self.protocol.block} (block must divide by the scale)")
        if isinstance(self.models, list) and len(set(self.models)) != len(self.models):
            raise ValueError("models must not repeat")
        if self.exclude and self.models != "all":
            raise ValueError("exclude only applies to models: all (otherwise leave the model out of the list)")
        if any(not reason.strip() for reason in self.exclude.values()):
            raise ValueError("every excluded model needs its reason")
        self._check_sample()
        return self

    def _check_sample(self) -> None:
        """Each ``ci_sample`` key names one of the suite's (task, image, ROI) after a model name. Whether the
        model fits the task is the plan's to say (``check --rescore-sample``): it needs the model catalog."""
        if len(set(self.ci_sample)) != len(self.ci_sample):
            raise ValueError("ci_sample keys must not repeat")
        suffixes = {f".{task.label}.{image.id}.r{roi.x}-{roi.y}-{roi.size}"
                    for task in self.tasks for image in self.images for roi in self.rois_for(image.id)}
        for key in self.ci_sample:
            if not any(key.endswith(suffix) and len(key) > len(suffix) for suffix in suffixes):
                raise ValueError(f"ci_sample key {key!r} is not MODEL.TASK.IMAGE.rX-Y-SIZE with a task, image and "
                                 f"ROI of suite {self.name}")

    def rois_for(self, image_id: str) -> list[ROI]:
        boxes = self.rois[image_id] if isinstance(self.rois, dict) else self.rois
        return [ROI(*box) for box in boxes]

    def image(self, image_id: str) -> ImageSpec:
        for image in self.images:
            if image.id == image_id:
                return image
        raise CemBenchError(f"suite {self.name} has no image {image_id!r}")

    @cached_property
    def hash(self) -> str:
        """16 hex digits of sha256 over the suite's canonical JSON (every field but ``ci_sample`` and
        ``exclude``, sorted keys).

        ``ci_sample`` only says what CI rescores, and ``exclude`` which registered models a ``models: all``
        suite leaves out (like the registry itself, it is not part of the hash): the numbers of a result
        depend on neither.
        """
        content = self.model_dump(mode="json", exclude={"ci_sample", "exclude"})
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def id(self) -> str:
        """``NAME@HASH``: changes whenever anything in the suite changes."""
        return f"{self.name}@{self.hash}"


def builtin_suites() -> list[str]:
    """Names of the suites shipped with the package."""
    folder = resources.files(__name__)
    return sorted(item.name[: -len(".yaml")] for item in folder.iterdir() if item.name.endswith(".yaml"))


def load_suite(name_or_path: str | Path) -> Suite:
    """A shipped suite by name (``quick``, ``full``) or a suite YAML file by path; errors are one line."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or Path(text).is_file():
        raw = read_text_file(text, "suite")
    elif text in builtin_suites():
        raw = resources.files(__name__).joinpath(f"{text}.yaml").read_text()
    else:
        raise CemBenchError(f"unknown suite {text!r} (shipped: {', '.join(builtin_suites())}; or give a .yaml path)")
    return validate_yaml(Suite, raw, f"suite {text}")


def suite_name(ref: str) -> str:
    """The name of a suite given by name or by YAML path (results live under ``<results>/<name>/``)."""
    return load_suite(ref).name if str(ref).endswith((".yaml", ".yml")) else str(ref)


__all__ = [
    "BootstrapSettings", "ImageSource", "ImageSpec", "Suite", "TaskSpec", "builtin_suites",
    "load_suite", "suite_name",
]
