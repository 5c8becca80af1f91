"""`cem-bench data build|verify|params|bank|crops`: the DVC-tracked ``datasets/`` folder
(cem_bench/pipeline/datasets.py), the reference bank from its PNG folder (pipeline/reference_bank.py)
and a suite's crops as PNG files (pipeline/crops.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cem_bench.core.errors import CemBenchError
from cem_bench.core.files import atomic_write_bytes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "data", help="the DVC-tracked datasets/ folder, the reference bank div2k-8 and a suite's crops")
    actions = parser.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="write datasets/ deterministically from the embedded sources")
    build.add_argument("--out", default="datasets", help="folder (default %(default)s)")
    build.set_defaults(func=run_build)
    verify = actions.add_parser("verify", help="check a suite's embedded inputs against datasets/ (DVC data stage)")
    verify.add_argument("--suite", default="quick", help="suite name or .yaml (default %(default)s)")
    verify.add_argument("--params", default=None, help="DVC params file whose `protocol` overrides the suite's")
    verify.add_argument("--datasets", default="datasets", help="folder (default %(default)s)")
    verify.add_argument("--out", default=None, help="write what was checked to this JSON file")
    verify.set_defaults(func=run_verify)
    params = actions.add_parser("params", help="write params.yaml: the suite, protocol overrides and its DVC units")
    params.add_argument("--suite", default="quick", help="suite name or .yaml (default %(default)s)")
    params.add_argument("--out", default="params.yaml", help="file (default %(default)s); its `protocol` is kept")
    params.set_defaults(func=run_params)
    bank = actions.add_parser("bank", help="build the reference bank div2k-8 from the CEM repository's folder of PNG patches")
    bank.add_argument("--from", dest="source", required=True, metavar="DIR",
                      help="the reference repository's patch-DIV2K-8-Demo/ (10,000 8x8 RGB PNG files)")
    bank.add_argument("--out", required=True, metavar="FILE.npz", help="the bank file to write")
    bank.set_defaults(func=run_bank)
    crops = actions.add_parser("crops", help="write a suite's images (cut from their sources, hash-checked) as PNG files")
    crops.add_argument("--suite", default="standard", help="suite name or .yaml (default %(default)s)")
    crops.add_argument("--out", default=None, help="folder (default crops/SUITE)")
    crops.set_defaults(func=run_crops)


def run_build(args: argparse.Namespace) -> int:
    from cem_bench.pipeline.datasets import build

    written = build(args.out)
    print(f"wrote {len(written)} files under {args.out}/")
    tracked = Path(args.out).with_name(Path(args.out).name + ".dvc")
    if not tracked.is_file():
        print(f"track them with `dvc add {args.out}` (docs/pipeline.md)")
        return 0
    return _commit_to_dvc_cache(tracked)


def _commit_to_dvc_cache(tracked: Path) -> int:
    """Put a fresh build into DVC's cache when it matches ``tracked`` (so `dvc status` is clean); never rewrite it."""
    import importlib.util
    import subprocess
    import sys

    if importlib.util.find_spec("dvc") is None:
        print(f"dvc is not installed (pip install 'cem-bench[pipeline]'): {tracked} not checked")
        return 0
    dvc = [sys.executable, "-m", "dvc"]
    where = tracked.parent
    status = subprocess.run([*dvc, "status", "--json", tracked.name], cwd=where, capture_output=True, text=True)
    if status.returncode != 0:
        raise CemBenchError(f"dvc status failed: {(status.stderr or status.stdout).strip().splitlines()[-1]}")
    changes = [change for entry in json.loads(status.stdout or "{}").values() for change in entry]
    states = {state for change in changes for state in change.get("changed outs", {}).values()}
    if states - {"not in cache"} or any(set(change) - {"changed outs"} for change in changes):
        raise CemBenchError(f"the build differs from {tracked} ({status.stdout.strip()}); a different scikit-image "
                            "or zlib version? datasets.dvc was left as it is")
    if states:
        subprocess.run([*dvc, "commit", "--force", "--quiet", tracked.name], cwd=where, check=True)
    print(f"{tracked}: the build matches; `dvc status` is clean")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from cem_bench.pipeline.datasets import verify
    from cem_bench.pipeline.params import apply_params
    from cem_bench.pipeline.suites import load_suite

    suite = apply_params(load_suite(args.suite), args.params)
    checked = verify(suite, args.datasets)
    if args.out:
        atomic_write_bytes(Path(args.out), (json.dumps(checked, indent=1, sort_keys=True) + "\n").encode())
    versioned = sum(1 for entry in checked["images"].values() if entry.get("versioned"))
    print(f"suite {suite.id}: {versioned}/{len(checked['images'])} images and bank {checked['bank']['name']} "
          f"{'match' if checked['bank'].get('versioned') else '(not versioned)'} datasets/")
    return 0


def run_params(args: argparse.Namespace) -> int:
    from cem_bench.pipeline.params import apply_protocol, read_params, render_params
    from cem_bench.pipeline.suites import load_suite

    path = Path(args.out)
    suite = load_suite(args.suite)
    protocol = (read_params(path).get("protocol") or {}) if path.is_file() else {}  # an existing file's overrides are kept
    if not protocol:  # a new file states the suite's own settings, so they can be edited in place
        protocol = {key: getattr(suite.protocol, key) for key in ("block", "coarse", "fine", "tol", "seed", "bank")}
    text = render_params(args.suite, apply_protocol(suite, protocol, path), protocol)
    atomic_write_bytes(path, text.encode())
    print(f"wrote {path}")
    return 0


def run_bank(args: argparse.Namespace) -> int:
    from cem_bench.core.banks import DIV2K_8_SHA256, DIV2K_ENV
    from cem_bench.pipeline.reference_bank import read_patch_folder, write_bank

    bank = read_patch_folder(args.source)
    path = write_bank(bank, args.out)
    print(f"wrote {path}: {len(bank.patches):,} patches, content sha256 {bank.sha256}")
    if bank.is_reference:
        print(f"it is the reference bank div2k-8; use it as div2k-8 with {DIV2K_ENV}={path}")
        return 0
    print(f"it is NOT the reference bank div2k-8 (expected {DIV2K_8_SHA256}): it will not be accepted as "
          f"div2k-8, only by its path (--bank {path})")
    return 1


def run_crops(args: argparse.Namespace) -> int:
    from cem_bench.pipeline.crops import write_crops
    from cem_bench.pipeline.suites import load_suite

    suite = load_suite(args.suite)
    out = args.out or str(Path("crops") / suite.name)
    manifest = write_crops(suite, out)
    checked = sum(1 for entry in manifest["images"].values() if entry["checked"])
    print(f"suite {suite.id}: wrote {len(manifest['images'])} images to {out}/ "
          f"({checked} checked against the suite's sha256)")
    return 0
