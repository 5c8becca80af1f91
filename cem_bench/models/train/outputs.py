"""What a zoo training run leaves behind: weights, a ``.train.json`` summary and the model card.

Weights are the state dict alone (``torch.save(network.state_dict())``, read back with
``weights_only=True``). The card names them relative to its own folder (the weights ship in the
repository) and carries their sha256. Every file is written atomically.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import torch
import yaml

from cem_bench.core.files import atomic_write_bytes
from cem_bench.core.images import file_sha256
from cem_bench.models.train import sun_hays
from cem_bench.models.train.data import MOTORCYCLE_SPLIT, TRAIN_SOURCES, describe
from cem_bench.models.train.loop import TrainRun
from cem_bench.models.train.recipe import TrainConfig
from model_registry import CARDS_DIR, ZOO_DIR

REPO_ROOT = Path(__file__).resolve().parents[3]
WEIGHTS_DIR = ZOO_DIR / "weights"
MAX_WEIGHTS_BYTES = 5 * 1024 * 1024

SKIMAGE_NOTE = (
    f"Trained only on scikit-image's bundled {', '.join(n for n in TRAIN_SOURCES if n != 'stereo_motorcycle')} "
    f"(greyscale, replicated to RGB) and the left view of stereo_motorcycle, columns < {MOTORCYCLE_SPLIT}; "
    "validated on held-out crops of camera and of that view's right part; never on the evaluation images "
    "(astronaut, chelsea/cat, coffee, shared assets/images) nor on the patch-bank sources (rocket, "
    "immunohistochemistry, hubble_deep_field, retina)."
)
SUN_HAYS_NOTE = (
    f"Trained on 72 of the 80 CSun_Hays80 scene photographs (shared assets' {sun_hays.FOLDER}; every "
    f"{sun_hays.VALIDATION_STRIDE}th file by name held out) plus the scikit-image training images of the first "
    f"zoo; validated on {sun_hays.VALIDATION_SIZE}x{sun_hays.VALIDATION_SIZE} centre crops of the 8 held-out "
    "photographs; never on CBSD68, CSet5/14, CUrban100, the CEM demo images or the scikit-image evaluation images."
)
DATA_NOTES = {"skimage": SKIMAGE_NOTE, "sun-hays80": SUN_HAYS_NOTE}


def shown_path(path: Path) -> Path:
    """``path`` relative to the repository when inside it, so files do not name this machine's folders."""
    resolved = path.resolve()
    return resolved.relative_to(REPO_ROOT) if resolved.is_relative_to(REPO_ROOT) else resolved


def state_dict_bytes(network: torch.nn.Module) -> bytes:
    buffer = io.BytesIO()
    torch.save({key: value.detach().cpu().contiguous() for key, value in network.state_dict().items()}, buffer)
    return buffer.getvalue()


def beats_baseline(run: TrainRun) -> bool:
    return all(scores["psnr"] > scores["baseline"] for scores in run.validation.values())


def fine_tuned_from(config: TrainConfig, run: TrainRun) -> dict[str, Any]:
    """``{"fine_tuned_from": ...}``: the published weights a fine-tuned model started from and the parameters
    they lacked, to merge into its summary and card; ``{}`` for a model trained from scratch (no key at all)."""
    if config.init is None:
        return {}
    return {"fine_tuned_from": {"file": config.init.file, "sha256": config.init.sha256,
                                "new_parameters": list(run.new_keys)}}


def fine_tuning_sentence(config: TrainConfig, new_keys: tuple[str, ...]) -> str:
    """The card notes' sentence on the published weights a model started from ('' when from scratch).

    >>> from cem_bench.models.train.recipe import read_config
    >>> from model_registry import ZOO_DIR
    >>> config = read_config(ZOO_DIR / "configs" / "zoo-sr-bsrn-ca.yaml")
    >>> fine_tuning_sentence(config, ("B1.cca.conv_du.0.weight",)).split(" (sha256")[0]
    'Fine-tuned from bsrn_ntire2022_x4'
    >>> fine_tuning_sentence(config, ("B1.cca.conv_du.0.weight",)).split("iterations")[1]
    '; the 1 parameter tensor(s) it lacks (B*.cca.*) started from seed 0. '
    """
    init = config.init
    if init is None:
        return ""
    new = (f"; the {len(new_keys)} parameter tensor(s) it lacks ({', '.join(init.new)}) started from seed "
           f"{config.train.seed}" if new_keys else "")
    return (f"Fine-tuned from {init.base_name} (sha256 {init.sha256}, shared assets' checkpoints/{init.file}) "
            f"for {config.train.iterations} iterations{new}. ")


def summary(config: TrainConfig, config_path: Path, run: TrainRun, weights_path: Path, digest: str) -> dict[str, Any]:
    schedule = config.train
    return {
        "name": config.name,
        "config": str(shown_path(config_path)),
        "config_sha256": file_sha256(config_path),
        "finding": config.finding,
        "pair": config.pair,
        "differs": config.differs,
        "iterations": schedule.iterations,
        "schedule": schedule.model_dump(),
        "params": sum(p.numel() for p in run.network.parameters()),
        "weights": weights_path.name,
        "weights_sha256": digest,
        "weights_bytes": weights_path.stat().st_size,
        "validation": run.validation,
        "beats_baseline": beats_baseline(run),
        "history": run.history,
        "wall_seconds": round(run.seconds, 1),
        "resumed_at": run.resumed_at,
        "torch": torch.__version__,
        "data": describe(config.data),
    } | fine_tuned_from(config, run)


def training_provenance(config: TrainConfig, config_path: Path, run: TrainRun) -> dict[str, Any]:
    """The card's ``training`` block: iterations, wall time, resumes, the validation curve and, when
    fine-tuned, the published weights it started from."""
    return {
        "config": str(shown_path(config_path)),
        "data": config.data,
        "iterations": config.train.iterations,
        "wall_seconds": round(run.seconds, 1),
        "resumed_at": run.resumed_at,
        "validation_crops": len(describe(config.data)["validation_crops"]),
        "curve": [{"iteration": entry["iteration"],
                   "psnr": {label: scores["psnr"] for label, scores in entry["validation"].items()}}
                  for entry in run.history],
    } | fine_tuned_from(config, run)


def card(config: TrainConfig, config_path: Path, run: TrainRun, weights_file: str, digest: str) -> dict[str, Any]:
    """The model card as a plain mapping, ready for YAML."""
    schedule = config.train
    scores = "; ".join(f"{label} {v['psnr']:.2f} dB vs baseline {v['baseline']:.2f} dB ({v['gain']:+.2f})"
                       for label, v in run.validation.items())
    notes = (
        f"cem-bench reference zoo, finding {config.finding}, pair '{config.pair}'. Differs from the other "
        f"members of its pair only in: {config.differs}. Reproduce with `cem-bench train {shown_path(config_path)}` "
        f"(CPU, {schedule.threads} thread(s), seed {schedule.seed}, {schedule.iterations} iterations of batch "
        f"{schedule.batch}, {schedule.patch}px ground-truth patches, L1, Adam lr {schedule.lr:g}"
        f"{'' if schedule.lr_new is None else f' (new layers {schedule.lr_new:g})'} cosine to "
        f"{schedule.lr_min:g}). {fine_tuning_sentence(config, run.new_keys)}{DATA_NOTES[config.data]} Final validation PSNR (held-out crops): {scores}. "
        "Small and CPU-trained: see docs/zoo.md for what it can and cannot show."
    )
    return {
        "name": config.name,
        "description": config.description,
        "tasks": [entry.model_dump(exclude_defaults=True) | {"task": entry.task} for entry in config.tasks],
        "scale": config.scale,
        "architecture": config.architecture.model_dump(),
        "weights": {"file": weights_file, "sha256": digest},
        "input": {"range": 1, "color": "rgb", "pre_upsample": config.pre_upsample},
        "origin": {"paper": config.paper, "repository": None, "notes": notes},
        "license": "MIT",
        "params": sum(p.numel() for p in run.network.parameters()),
        "training": training_provenance(config, config_path, run),
    }


def write_outputs(config: TrainConfig, config_path: Path, run: TrainRun, weights_dir: Path = WEIGHTS_DIR,
                  cards_dir: Path = CARDS_DIR) -> dict[str, Path]:
    """Write ``NAME.pt`` and ``NAME.train.json`` (always) and the card (only if it beats its baselines)."""
    weights_path = weights_dir / f"{config.name}.pt"
    data = state_dict_bytes(run.network)
    if len(data) > MAX_WEIGHTS_BYTES:
        raise ValueError(f"{config.name}: weights are {len(data)} bytes, the zoo allows {MAX_WEIGHTS_BYTES}")
    atomic_write_bytes(weights_path, data)
    digest = file_sha256(weights_path)
    written = {"weights": weights_path}
    info = summary(config, config_path, run, weights_path, digest)
    written["summary"] = weights_dir / f"{config.name}.train.json"
    atomic_write_bytes(written["summary"], (json.dumps(info, indent=1) + "\n").encode())
    if info["beats_baseline"]:
        relative = os.path.relpath(weights_path.resolve(), cards_dir.resolve())
        text = yaml.safe_dump(card(config, config_path, run, relative, digest), sort_keys=False, width=110)
        written["card"] = cards_dir / f"{config.name}.yaml"
        atomic_write_bytes(written["card"], text.encode())
    return written


def results_table(weights_dir: Path = WEIGHTS_DIR) -> str:
    """The zoo's measured results, one Markdown row per (model, validation task), from the ``.train.json`` files.

    docs/zoo.md embeds this table; a test checks that it is the one the shipped summaries give.
    """
    from tabulate import tabulate

    rows = []
    for path in sorted(weights_dir.glob("*.train.json")):
        run = json.loads(path.read_text())
        for label, scores in run["validation"].items():
            rows.append([f"`{run['name']}`", run["pair"], label, f"{run['params']:,}", run["iterations"],
                         f"{scores['psnr']:.2f}", f"{scores['baseline']:.2f}", f"{scores['gain']:+.2f}",
                         f"{run['wall_seconds'] / 60:.1f}", f"{run['weights_bytes'] / 1e6:.2f}"])
    headers = ["model", "pair", "validated on", "params", "iterations", "PSNR (dB)", "baseline (dB)", "gain (dB)",
               "train (min)", "weights (MB)"]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
