"""How far a rescoring on another CPU type moves the committed quick-suite results.

    python benchmarks/cpu_variation.py [--isa avx2] [--out /tmp/cpu-variation] [--rescored DIR]

Rescores the quick suite on CPU with oneDNN, ATen and MKL limited to an older instruction set (what
another CI machine may run), then prints, per result file, the largest difference of the measured
numbers (CE, ROI PSNR) and of numbers derived from them (sums of effects, DI), and the verdict of the
regeneration check's rules (cem_bench/reproduction.py). ``--rescored`` compares an existing rescoring.
Run it from the repository root (params.yaml, results/).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tabulate import tabulate

from cem_bench.pipeline.reproduction import compare_result

ISA_ENV = {"avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}}


def largest(committed: list[dict[str, Any]], rescored: list[dict[str, Any]], read) -> float:
    """Largest |difference| of ``read(unit)`` (a list of numbers or None) over matching units."""
    gaps = [abs(a - b) for old, new in zip(committed, rescored) for a, b in zip(read(old), read(new))
            if a is not None and b is not None]
    return max(gaps, default=0.0)


def rescore(isa: str, out: Path) -> None:
    env = {**os.environ, **ISA_ENV[isa]}
    command = [sys.executable, "-m", "cem_bench.cli", "run", "--suite", "quick", "--params", "params.yaml",
               "--out", str(out), "--device", "cpu", "--no-summary", "--quiet"]  # the protocol `check` rescores with
    subprocess.run(command, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--isa", choices=sorted(ISA_ENV), default="avx2")
    parser.add_argument("--out", default="/tmp/cpu-variation", help="where the rescoring goes")
    parser.add_argument("--rescored", default=None, help="compare this existing rescoring (a suite folder)")
    args = parser.parse_args()
    folder = Path(args.rescored) if args.rescored else Path(args.out) / "quick"
    if not args.rescored:
        rescore(args.isa, Path(args.out))
    rows = []
    for path in sorted(Path("results/quick").glob("*/*.json")):
        twin = folder / path.relative_to("results/quick")
        if not twin.is_file():
            continue
        old, new = json.loads(path.read_text()), json.loads(twin.read_text())
        units_old, units_new = old["units"], new["units"]
        problems, flips = compare_result(old, new)
        rows.append([str(path.relative_to("results/quick")),
                     largest(units_old, units_new, lambda u: [v for row in u["ce"] for v in row]),
                     largest(units_old, units_new, lambda u: [u["metrics"]["psnr_roi"]]),
                     largest(units_old, units_new, lambda u: [u["metrics"]["positive_sum"], u["metrics"]["negative_sum"]]),
                     largest(units_old, units_new, lambda u: [u["metrics"]["diffusion_index"]]),
                     flips, "pass" if not problems else problems[0]])
    print(tabulate(rows, headers=["result", "CE dB", "ROI PSNR dB", "effect sums dB", "DI", "flips", "check"],
                   tablefmt="github", floatfmt=".2e"))


if __name__ == "__main__":
    main()
