"""What a submitted model is ranked against: the registered models' results of the same suite.

A rank means something only against other models scored by the same suite (same hash: images, ROIs,
protocol, bank) and only against models others can look up. :func:`comparison` reads them before anything
is scored, from ``--results DIR`` when given, else from the results committed in the repository that holds
this package (a source checkout: ``results/<suite>/<task>/<model>.json``). Left out, and counted: the
submitted model's own result (it is what is being ranked), results of another version of the suite (its
hash differs: another benchmark), and results of unregistered models (e.g. the submitter's earlier runs in
the same folder). A folder without any such result leaves the model *unranked*, never "1 of 1".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cem_bench.analysis.consistency import require_consistent
from cem_bench.core.errors import ParameterError
from cem_bench.core.tasks import Task
from cem_bench.models import registered_cards
from cem_bench.pipeline.suites import Suite
from cem_bench.records.io import read_result, result_files

RANK_KEY = "psnr_gain"  # the leaderboard's sort key
# The repository holding this package (a source checkout has pyproject.toml and results/ beside cem_bench/).
REPOSITORY = Path(__file__).resolve().parents[2]


def repository_results() -> Path | None:
    """The committed ``results/`` folder of the source checkout this package runs from, or ``None`` (an
    installed wheel has no repository beside it)."""
    folder = REPOSITORY / "results"
    return folder if (REPOSITORY / "pyproject.toml").is_file() and folder.is_dir() else None


@dataclass(frozen=True)
class Comparison:
    """The results a submission is ranked against: per task label, each registered model's mean gain."""

    suite: Suite
    folder: Path | None
    origin: str  # how the folder was chosen, for the printed line
    gains: dict[str, dict[str, float | None]] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # why -> the files' "task/model"

    def where(self) -> str:
        """``/path/results (the repository's committed results)``, or why there is no folder."""
        if self.folder is None:
            return "no comparison folder (not a source checkout; give --results DIR)"
        return f"{self.folder} ({self.origin})"

    def describe(self) -> str:
        """One line: how many results of which suite, from where, and what was left out."""
        counts = ", ".join(f"{label} {len(models)}" for label, models in sorted(self.gains.items())) or "none"
        line = f"ranked against registered models' results of suite {self.suite.id} in {self.where()}: {counts}"
        for reason, files in sorted(self.skipped.items()):
            line += f"; left out {len(files)} {reason}: {', '.join(files[:3])}{', …' if len(files) > 3 else ''}"
        return line

    def standing(self, task: str, gain: float | None) -> tuple[int, int] | None:
        """``(position, of N)`` of a model with mean ``gain`` on ``task`` among the comparison results (a
        higher gain ranks first; an undefined gain ranks last), or ``None`` when there is nothing to rank
        against.

        >>> from cem_bench.pipeline.suites import load_suite
        >>> against = Comparison(load_suite("quick"), Path("r"), "--results", {"dr": {"a": 2.0, "b": None, "c": 0.5}})
        >>> against.standing("dr", 1.0), against.standing("dr", 3.0), against.standing("dr", None), against.standing("dn-s50", 1.0)
        ((2, 4), (1, 4), (3, 4), None)
        """
        others = self.gains.get(task)
        if not others:
            return None

        def value(gain: float | None) -> float:
            return float("-inf") if gain is None else gain
        return 1 + sum(value(other) > value(gain) for other in others.values()), len(others) + 1


def comparison(suite: Suite, tasks: list[Task], model: str, results: str | Path | None = None) -> Comparison:
    """The registered models' results of ``suite`` on ``tasks`` that ``model`` is ranked against (module
    docstring), read from ``results`` or the repository's committed results. A given folder that does not
    exist is a :class:`ParameterError`; a result file that contradicts itself is refused (one line)."""
    if results is not None:
        folder, origin = Path(results), "--results"
        if not folder.is_dir():
            raise ParameterError("results", f"{folder} is not a folder (the results to rank against)")
    else:
        folder, origin = repository_results(), "the repository's committed results"
    if folder is None:
        return Comparison(suite, folder, origin)
    labels = {task.label for task in tasks}
    registered = set(registered_cards())
    gains: dict[str, dict[str, float | None]] = {}
    skipped: dict[str, list[str]] = {}
    for path in result_files(folder, suite.name):
        if path.parent.name not in labels or path.stem == model:
            continue
        record = read_result(path, schema="suite_result")
        require_consistent(record, str(path))
        name = f"{path.parent.name}/{record['model']['name']}"
        if record["suite"]["hash"] != suite.hash:
            skipped.setdefault(f"of another version of suite {suite.name} (hash not {suite.hash})", []).append(name)
        elif record["model"]["name"] not in registered:
            skipped.setdefault("of unregistered models", []).append(name)
        else:
            gains.setdefault(path.parent.name, {})[record["model"]["name"]] = record["aggregates"][RANK_KEY]["mean"]
    return Comparison(suite, folder, origin, gains, skipped)


def unranked_tasks(found: Comparison, tasks: list[Task]) -> list[str]:
    """The task labels with no comparison result: the submitted model will be unranked there."""
    return [task.label for task in tasks if not found.gains.get(task.label)]


__all__ = ["RANK_KEY", "Comparison", "comparison", "repository_results", "unranked_tasks"]
