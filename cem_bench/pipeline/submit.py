"""Submitting a new model: check its card and weights, score it on a suite, and find its rank.

Steps: 1. validate the card (schema, architecture, name free, suite tasks it was trained for);
2. find the weights and check their sha256; 3. load them safely (weights only, strict keys);
4. smoke checks (shape x scale, finite, repeatable, on the validation crop and on the suite's smallest
input; no PSNR gain is only a warning); 5. score it on the suite (one results file per task); 6. its rank
per task against the registered models' results of the same suite (:mod:`cem_bench.pipeline.ranking`: the
repository's committed results or ``--results``, read in step 1), with a warning where its mean gain is 0 dB
or less. Every refusal happens before anything is written, except a failure inside the suite run itself.
``cem-bench submit`` prints what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cem_bench.core.device import resolve_device
from cem_bench.core.errors import CemBenchError
from cem_bench.core.tasks import Task
from cem_bench.models import load_model, read_card
from cem_bench.models.card import ModelCard
from cem_bench.models.catalog import refuse_shadowing
from cem_bench.models.loading import build_network
from cem_bench.models.smoke import smoke_check
from cem_bench.models.task_fit import fits, luma_misfit
from cem_bench.models.weights import resolve_weights
from cem_bench.pipeline.ranking import RANK_KEY, Comparison, comparison, unranked_tasks
from cem_bench.pipeline.runner import run_suite
from cem_bench.pipeline.suites import Suite, builtin_suites, load_suite
from cem_bench.records.io import read_result


@dataclass
class CheckedSubmission:
    """A submission that passed steps 1-4: what was checked (``notes``, in order) and what looked odd."""

    card_path: Path
    card: ModelCard
    suite: Suite
    tasks: list[Task]
    weights: Path | None
    against: Comparison
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rank:
    """The model's place on one task among the comparison results (``position`` ``None``: nothing to rank
    against, ``total`` 0), and its mean ROI PSNR gain there (``None``: undefined)."""

    task: str
    position: int | None
    total: int
    gain: float | None = None

    def warning(self, model: str) -> str | None:
        """A gain of 0 dB or less: the model does not restore on this task, whatever its rank says."""
        if self.gain is None or self.gain > 0:
            return None
        return (f"model {model} has a mean ROI PSNR gain of {self.gain:+.2f} dB on {self.task}: it does not restore "
                f"the degraded input there, so its rank says nothing good (check the card's input conventions)")


def read_submission(path: str | Path) -> ModelCard:
    """Step 1a: the card, valid, buildable, and not reusing another model's name."""
    if not Path(path).is_file():
        raise CemBenchError(f"model card not found: {path}")
    card = read_card(path)
    refuse_shadowing(card)
    if card.architecture.source != "spandrel":  # spandrel builds from the state dict, checked at load time
        build_network(card)  # unknown architecture / bad kwargs fail here, before any weights are read
    return card


def suite_tasks(card: ModelCard, suite: Suite) -> list[Task]:
    """Step 1b: the suite's tasks the card was trained for; none is a refusal."""
    tasks = [spec.build() for spec in suite.tasks]
    chosen = [task for task in tasks if fits(card, task)]
    if not chosen:
        trained = ", ".join(entry.task + (f" {'/'.join(f'{v:g}' for v in entry.levels)}" if entry.levels else "")
                            for entry in card.tasks)
        luma = next((reason for task in tasks if (reason := luma_misfit(card, task))), None)
        elsewhere = fitting_suites(card, exclude=suite.name)
        raise CemBenchError(f"suite {suite.name} has no task model {card.name} was trained for (card: {trained}, "
                            f"x{card.scale}; suite: {', '.join(task.label for task in tasks)})"
                            + (f"; {luma}" if luma else "")
                            + (f"; shipped suite(s) with a task it fits: {', '.join(elsewhere)} (--suite NAME)"
                               if elsewhere else ""))
    return chosen


def fitting_suites(card: ModelCard, exclude: str | None = None) -> list[str]:
    """The shipped suites with at least one task ``card`` fits (e.g. ``quick-x3`` for an x3 SR model)."""
    names = [name for name in builtin_suites() if name != exclude]
    return [name for name in names if any(fits(card, spec.build()) for spec in load_suite(name).tasks)]


def check_submission(card_path: str | Path, suite: str | Path = "quick", weights: str | Path | None = None,
                     allow_download: bool = False, device: str = "auto",
                     results: str | Path | None = None) -> CheckedSubmission:
    """Steps 1-4; any refusal is a :class:`CemBenchError` and nothing has been written. ``results``: the
    folder of the registered models' results to rank against (default: the repository's committed ones)."""
    torch_device = resolve_device(device)
    card = read_submission(card_path)
    chosen_suite = load_suite(suite)
    tasks = suite_tasks(card, chosen_suite)
    notes = [f"card {card.name}: valid, architecture {card.architecture.source}:{card.architecture.name}, "
             f"suite {chosen_suite.id} tasks {', '.join(task.label for task in tasks)}"]
    warnings: list[str] = []
    against = comparison(chosen_suite, tasks, card.name, results)
    notes.append(against.describe())
    unranked = unranked_tasks(against, tasks)
    if unranked:
        warnings.append(f"no registered model's result of suite {chosen_suite.id} on {', '.join(unranked)} in "
                        f"{against.where()}: {card.name} will be scored but unranked there (give --results DIR "
                        f"holding them, e.g. `cem-bench run --suite {chosen_suite.name} --out DIR`)")
    found = None
    if card.weights is not None:
        found = resolve_weights(card, weights, allow_download)  # found + sha256 checked
    elif weights is not None:
        raise CemBenchError(f"model {card.name} has no weights to load (its card has no weights entry)")
    model = load_model(card, weights=found, device=torch_device)
    notes.append(f"weights: {found} (sha256 {card.weights.sha256[:12]}… verified), state dict loaded"
                 if found and card.weights else "weights: none (analytic model)")
    if card.params is not None and card.params != model.parameter_count():
        warnings.append(f"card {card.name} says {card.params} parameters, the network has {model.parameter_count()}")
    for task in tasks:
        report = smoke_check(model, task, device=torch_device, seed=chosen_suite.protocol.seed,
                             smallest=smallest_image(chosen_suite, task))
        notes.append(f"smoke: {report.summary()}")
        warnings.extend(report.warnings)
    return CheckedSubmission(Path(card_path), card, chosen_suite, tasks, found, against, notes, warnings)


def smallest_image(suite: Suite, task: Task) -> np.ndarray:
    """The suite image whose ground truth (cropped to the task's scale) is smallest, by its shorter side
    then its area: the smallest input a run of ``suite`` feeds a model on ``task``."""
    images = [image.chosen().read() for image in suite.images]
    return min(images, key=lambda image: (min(task.prepare_gt(image).shape[:2]), task.prepare_gt(image)[..., 0].size))


def score_and_rank(checked: CheckedSubmission, out: str | Path = "results", device: str = "auto",
                   batch_size: int | None = None, progress: bool = True) -> tuple[list[Path], list[Rank]]:
    """Steps 5 and 6: the suite run (results files) and the model's position per task among the registered
    models' results read in step 1 (``checked.against``)."""
    card = checked.card
    written = run_suite(checked.suite, models=[str(checked.card_path)], out=out,
                        weights={card.name: str(checked.weights)} if checked.weights else None, progress=progress,
                        device=device, batch_size=batch_size)
    gains = {record["task"]["label"]: record["aggregates"][RANK_KEY]["mean"]
             for record in (read_result(path, schema="suite_result") for path in written)
             if record["model"]["name"] == card.name}
    ranks = []
    for task in checked.tasks:
        gain = gains.get(task.label)
        position, total = checked.against.standing(task.label, gain) or (None, 0)
        ranks.append(Rank(task.label, position, total, gain))
    return written, ranks
