"""The local halves of ``gpu_standard.sh collect`` / ``restore``.

    python benchmarks/gpu_hold.py restore .gpu-hold   # move held files back; never replace, never delete
    python benchmarks/gpu_hold.py results             # result files of (model, task) now complete

``restore`` moves every file of the hold back to its place unless a file of that name exists there (a CPU
run may have written it while the paths were held; it is newer, so it stays), then removes the folders
the move emptied; whatever could not go back stays in the hold and is named. ``results`` writes the
result file of every standard (model, task) whose units the runner would all reuse and that has none:
the runner then only reads its cache (coverage counts a unit only when the runner would reuse it).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def restore(hold: Path) -> list[Path]:
    """Move ``hold``'s files back below the current folder; return those left (their place was taken)."""
    if not hold.is_dir():
        return []
    left = []
    for held in sorted(path for path in hold.rglob("*") if path.is_file()):
        target = Path(*held.relative_to(hold).parts)
        if target.exists():
            left.append(held)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(held, target)
    for folder in sorted((path for path in hold.rglob("*") if path.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    if not any(hold.iterdir()):
        hold.rmdir()
    return left


def write_complete_results() -> None:
    from cem_bench.pipeline.leaderboards import suite_coverage
    from cem_bench.pipeline.suites import load_suite

    for pair in suite_coverage("results", load_suite("standard")).pairs:
        if pair.complete and not Path(f"results/standard/{pair.task}/{pair.model}.json").exists():
            subprocess.run([sys.executable, "-m", "cem_bench.cli", "run", "--suite", "standard", "--models", pair.model,
                            "--tasks", pair.task, "--device", "cpu", "--quiet"], check=True)


def main() -> None:
    if sys.argv[1:2] == ["restore"] and len(sys.argv) == 3:
        left = restore(Path(sys.argv[2]))
        if left:
            print(f"{len(left)} held file(s) stay in {sys.argv[2]}: a file of the same name was written meanwhile "
                  f"(e.g. {left[0]}); compare them, then delete the hold")
    elif sys.argv[1:] == ["results"]:
        write_complete_results()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
