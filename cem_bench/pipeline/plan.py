"""The plan of a suite run: which (model, task, image, ROI) units to compute, each with a stable key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cem_bench.core.errors import CemBenchError
from cem_bench.models import get_card, registered_cards
from cem_bench.models.task_fit import fits, is_multi_task
from cem_bench.pipeline.suites import Suite, TaskSpec


@dataclass(frozen=True)
class Unit:
    """One CEM map to compute. ``model`` is the card name; ``card`` the card file for unregistered ones."""

    model: str
    task: TaskSpec
    image: str
    roi: tuple[int, int, int]
    card: str | None = None

    @property
    def key(self) -> str:
        """Stable, readable file stem, e.g. ``bicubic-x4.sr-x4.astronaut.r32-32-32``."""
        x, y, size = self.roi
        return f"{self.model}.{self.task.label}.{self.image}.r{x}-{y}-{size}"

    @property
    def card_ref(self) -> str:
        return self.card or self.model


def card_sha256(card: Any) -> str:
    """sha256 of a model card's canonical JSON (the card as validated, keys sorted)."""
    canonical = json.dumps(card.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _cards(suite: Suite, models: list[str] | None) -> tuple[list[tuple[Any, str | None]], bool]:
    """(card, card file or None) for the models to run, and whether they were chosen explicitly."""
    chosen = models if models is not None else suite.models
    if chosen == "all":
        cards = registered_cards()
        unknown = sorted(set(suite.exclude) - set(cards))
        if unknown:
            raise CemBenchError(f"suite {suite.name} excludes unregistered model(s): {', '.join(unknown)}")
        return [(card, None) for name, card in cards.items() if name not in suite.exclude], False
    cards = []
    for ref in chosen:
        card = get_card(ref)
        cards.append((card, ref if str(ref).endswith((".yaml", ".yml")) else None))
    return cards, True


def plan(suite: Suite, models: list[str] | None = None, check_images: bool = True) -> list[Unit]:
    """Every unit of ``suite``: each model on each suite task it supports, x images x ROIs.

    ``models`` (names or card paths) replaces the suite's own model list. A model named explicitly
    that fits none of the suite's tasks is an error; with ``all``, such models are simply not planned.
    Images are read and every ROI is checked to lie inside every task's (mod-cropped) ground truth;
    ``check_images=False`` skips that (the keys alone, e.g. for a report on a machine without the images).
    """
    cards, explicit = _cards(suite, models)
    shapes = {image.id: image.chosen().read().shape[:2] for image in suite.images} if check_images else {}
    for spec in suite.tasks if check_images else []:
        task = spec.build()
        for image in suite.images:
            height, width = (side // task.scale * task.scale for side in shapes[image.id])
            for roi in suite.rois_for(image.id):
                try:
                    roi.check_inside(height, width)
                except CemBenchError as error:
                    raise CemBenchError(f"suite {suite.name}, image {image.id}, task {spec.label}: {error}") from None
    units = []
    for card, path in cards:
        specs = [spec for spec in suite.tasks if fits(card, spec.build())]
        if explicit and not specs:
            raise CemBenchError(f"model {card.name} supports none of suite {suite.name}'s tasks "
                                f"({', '.join(spec.label for spec in suite.tasks)})")
        for spec in specs:
            for image in suite.images:
                for roi in suite.rois_for(image.id):
                    units.append(Unit(card.name, spec, image.id, (roi.x, roi.y, roi.size), path))
    keys = [unit.key for unit in units]
    if len(set(keys)) != len(keys):
        raise CemBenchError("two planned units share a key (two cards with the same name?)")
    return units


def planned_results(suite: Suite, trained_single_task: bool = False) -> set[tuple[str, str]]:
    """``(model, task label)`` of every result file ``suite`` plans: what a report lists as left out when its
    file is missing (a result file is written only once all its units exist). Keys only: no image is read.
    ``trained_single_task`` keeps the trained, single-task models only (what finding 1 pools)."""
    units = plan(suite, check_images=False)
    if trained_single_task:
        cards = {ref: get_card(ref) for ref in {unit.card_ref for unit in units}}
        units = [unit for unit in units
                 if not cards[unit.card_ref].analytic and not is_multi_task(cards[unit.card_ref])]
    return {(unit.model, unit.task.label) for unit in units}
