"""Is what is committed what the code produces? CI's consistency, staleness and regeneration checks.

* ``inconsistent_results`` — every derived number of every committed result file (unit metrics from its
  maps, PSNR gain, aggregates from its units) must be what the code derives from that file alone
  (:mod:`cem_bench.analysis.consistency`); no rescoring, so plain ``cem-bench check`` runs it;
* ``inconsistent_units`` — the same for the committed unit records of a suite that is still being
  computed (the standard suite), plus their provenance: protocol id, fixed image hashes, planned keys;
* ``rescore_sample`` — the suite's ``ci_sample`` units (a suite too large to rescore whole in CI) are
  rescored in a temporary folder and each must agree with its committed unit record under the same rules;
* ``compare_trees`` — every committed result file has a regenerated twin that agrees with it under
  the rules of :mod:`cem_bench.pipeline.reproduction` (what may differ between CPU types, what may not);
* ``stale_files`` — the committed reports must be exactly what ``cem-bench leaderboard`` / ``report``
  render from the committed results, and ``summary.json`` what ``cem-bench aggregate`` writes.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from tqdm.auto import tqdm

from cem_bench.analysis.consistency import derivation_problems, unit_problems
from cem_bench.cem.backends import DEFAULT_BACKEND
from cem_bench.core.errors import CemBenchError
from cem_bench.pipeline.committed import Committed, read_record
from cem_bench.pipeline.jobs import make_jobs
from cem_bench.pipeline.plan import plan
from cem_bench.pipeline.reproduction import compare_result, compare_units
from cem_bench.pipeline.runner import UNITS_DIR, models_without_weights, read_unit, score_job
from cem_bench.pipeline.suites import Suite
from cem_bench.records.io import result_files

MAX_LISTED = 10


def inconsistent_results(results_dir: str | Path, suite: str,
                         committed: Committed | None = None) -> tuple[list[str], int]:
    """``file: field: committed X, derived Y`` for every derived number of the suite's result files that
    does not follow from the file's own maps and units, and how many files were read (``committed``: the
    snapshot to inspect instead of reading the files again)."""
    reads = committed.results if committed is not None \
        else tuple(read_record(path, "suite_result") for path in result_files(results_dir, suite))
    problems = []
    for read in reads:
        if read.record is None:  # unreadable, or not a suite result (a schema violation)
            problems.append(str(read.error))
            continue
        problems += [f"{read.path}: {problem}" for problem in derivation_problems(read.record)]
    return problems, len(reads)


def inconsistent_units(results_dir: str | Path, suite: Suite,
                       committed: Committed | None = None) -> tuple[list[str], int]:
    """Problems of the suite's committed unit records (``<results>/<suite>/.units/*.json``): schema, derived
    numbers (as :func:`inconsistent_results`), and provenance — the suite's protocol id (bank hash
    included), its fixed image content hashes, and a unit key that the suite's plan contains."""
    committed = committed if committed is not None else Committed.read(results_dir, suite)
    images = {image.id: image for image in suite.images}
    problems = []
    for read in committed.units:
        path, unit = read.path, read.record
        if unit is None:
            problems.append(str(read.error))
            continue
        problems += unit_problems(unit, str(path))
        if unit["key"] not in committed.planned or path.stem != unit["key"]:
            problems.append(f"{path}: unit {unit['key']} is not in suite {suite.name}'s plan")
        if unit["protocol"]["id"] != suite.protocol.id:
            problems.append(f"{path}: protocol {unit['protocol']['id']}, the suite's is {suite.protocol.id}")
        image = images.get(unit["image"]["id"])
        if image is None or (image.sha256 is not None and unit["image"]["sha256"] != image.sha256):
            problems.append(f"{path}: image {unit['image']['id']} is not the suite's (content sha256 differs)")
    return problems, len(committed.units)


def rescore_sample(results_dir: str | Path, suite: Suite, device: str = "cpu", backend: str = DEFAULT_BACKEND,
                   progress: bool = False) -> tuple[list[str], int, int]:
    """Rescore the suite's ``ci_sample`` units in a temporary folder (the runner's own ``score_job``) and
    compare each with its committed record (:func:`cem_bench.pipeline.reproduction.compare_units`, plus the
    committed record's own derived numbers): ``(problems, threshold flips allowed, units compared)``.

    A suite without a sample, a key outside the suite's plan, a sample unit that is not committed, or a
    sampled model without weights here is one error line: the sample is what CI promises to rescore.
    """
    keys = list(suite.ci_sample)
    if not keys:
        raise CemBenchError(f"suite {suite.name} lists no ci_sample units to rescore")
    planned = {unit.key: unit for unit in plan(suite)}
    unplanned = [key for key in keys if key not in planned]
    if unplanned:
        raise CemBenchError(f"ci_sample unit(s) not in suite {suite.name}'s plan: {', '.join(unplanned)}")
    folder = Path(results_dir) / suite.name / UNITS_DIR
    missing = [key for key in keys if not (folder / f"{key}.json").is_file()]
    if missing:
        raise CemBenchError(f"ci_sample unit(s) not committed under {folder}: {', '.join(missing)} "
                            "(a sample unit must be computed and committed before CI can compare it)")
    units = [planned[key] for key in keys]
    absent = models_without_weights(units)
    if absent:
        raise CemBenchError(f"ci_sample model(s) without weights on this machine: {', '.join(absent)}")
    problems, flips = [], 0
    with tempfile.TemporaryDirectory(prefix="cem-sample-") as out:
        # Units of one (model, task, image) share one job, as in a run; each map is the single-ROI map.
        for job in tqdm(make_jobs(units), desc=f"{suite.name} sample", unit="job", disable=not progress):
            for unit, regenerated in zip(job.units, score_job(job, suite, out, device=device, backend=backend)):
                path = folder / f"{unit.key}.json"
                committed = read_unit(path)
                found, flipped = compare_units(committed, regenerated, str(path))
                problems += unit_problems(committed, str(path)) + found
                flips += flipped
    return problems, flips, len(units)


def compare_trees(committed: Path, regenerated: Path, pattern: str = "*/*.json",
                  unscored: frozenset[str] = frozenset()) -> tuple[list[str], int]:
    """Differences between the result files under two suite folders (missing/extra files included),
    and the number of threshold flips allowed on the way (:func:`cem_bench.pipeline.reproduction.compare_result`).

    ``unscored`` names models that could not be rescored here (no weights): their committed files are
    not expected among the regenerated ones.
    """
    def files(root: Path) -> dict[str, Path]:
        return {str(p.relative_to(root)): p for p in root.glob(pattern) if not p.parent.name.startswith(".")}

    old, new = files(committed), files(regenerated)
    old = {name: path for name, path in old.items() if name in new or Path(name).stem not in unscored}
    problems = [f"{name}: not regenerated" for name in sorted(set(old) - set(new))]
    problems += [f"{name}: regenerated but not committed" for name in sorted(set(new) - set(old))]
    flips = 0
    for name in sorted(set(old) & set(new)):
        found, flipped = compare_result(json.loads(old[name].read_text()), json.loads(new[name].read_text()))
        problems += [f"{name}: {problem}" for problem in found]
        flips += flipped
    return problems, flips


def stale_files(expected: dict[Path, Callable[[], str]]) -> list[str]:
    """Each committed file that differs from what its renderer produces now (byte for byte)."""
    problems = []
    for path, render in expected.items():
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.read_text() != render():
            problems.append(f"{path}: stale (regenerate it from the committed results)")
    return problems


def summarise(problems: list[str], what: str) -> str:
    """One line naming how many problems and the first few."""
    listed = "; ".join(problems[:MAX_LISTED]) + (f"; ... {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else "")
    return f"{len(problems)} {what}: {listed}"
