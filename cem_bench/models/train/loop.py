"""Train one zoo model from its config, deterministically on CPU, and validate it on held-out crops.

Determinism: the network is initialised after ``torch.manual_seed(seed)``; every random draw of the
data (which image, crop position, flip/rotation, task, degradation seed) comes from one CPU generator
seeded by ``(seed, "zoo-train", name)`` (or ``(seed, "zoo-train", "pair", pair)`` with ``samples: pair``, so
the members of a pair see the same batches); ``torch.use_deterministic_algorithms`` is on and the thread
count is fixed by the recipe. Two runs on the same machine and torch build give bitwise-equal weights,
and so does a run killed and resumed from its last checkpoint (:mod:`.checkpoint`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cem_bench.core.errors import CemBenchError
from cem_bench.core.geometry import ROI
from cem_bench.core.images import to_tensor
from cem_bench.core.metrics import input_psnr, roi_psnr
from cem_bench.core.seeding import generator
from cem_bench.core.tasks import Task
from cem_bench.models.card import ModelCard
from cem_bench.models.loading import RestorationModel, build_network
from cem_bench.models.train import checkpoint
from cem_bench.models.train.base_weights import load_base
from cem_bench.models.train.data import PatchSampler, training_set, validation_set
from cem_bench.models.train.pairs import make_batch
from cem_bench.models.train.recipe import TrainConfig


@dataclass
class TrainRun:
    """A trained network and what happened on the way."""

    network: nn.Module
    losses: list[float] = field(default_factory=list)  # one per iteration
    history: list[dict[str, Any]] = field(default_factory=list)  # loss window means and validations
    validation: dict[str, dict[str, float]] = field(default_factory=dict)  # final, per task label
    seconds: float = 0.0  # training time, summed over resumed sessions
    resumed_at: list[int] = field(default_factory=list)  # iterations after which a session resumed
    new_keys: tuple[str, ...] = ()  # fine-tuning: the parameters the published weights lacked (seeded fresh)


@contextlib.contextmanager
def reproducible(threads: int) -> Iterator[None]:
    """Fix the thread count and deterministic algorithms for the block, then restore both."""
    old_threads, old_deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_deterministic)


def balanced_l1(outputs: torch.Tensor, targets: torch.Tensor, inputs: torch.Tensor,
                task_index: torch.Tensor) -> torch.Tensor:
    """Mean over the tasks in the batch of (L1 of the output / L1 of the input itself), same-size models only.

    Each task's error is measured relative to its trivial baseline's on the same samples, so a task with a
    small baseline error (SR from a pre-upsampled input) weighs as much in a mix as one with a large error
    (sigma-50 noise); with plain L1 a mixed model learns the noisy tasks and neglects SR.

    >>> x = torch.zeros(2, 1, 1, 1); y = torch.ones(2, 1, 1, 1)
    >>> float(balanced_l1(y * 0.5, y, x, torch.tensor([0, 1])))
    0.5
    """
    ratios = []
    for task in torch.unique(task_index).tolist():
        chosen = task_index == task
        baseline = (inputs[chosen] - targets[chosen]).abs().mean().detach().clamp_min(1e-3)
        ratios.append((outputs[chosen] - targets[chosen]).abs().mean() / baseline)
    return torch.stack(ratios).mean()


def card_skeleton(config: TrainConfig) -> ModelCard:
    """The model card fields that training needs (no weights yet): tasks, scale, input conventions."""
    return ModelCard.model_validate({
        "name": config.name, "description": config.description, "tasks": [t.model_dump() for t in config.tasks],
        "scale": config.scale, "architecture": config.architecture.model_dump(),
        "input": {"pre_upsample": config.pre_upsample}, "origin": {"paper": config.paper}, "license": "MIT",
    })


@torch.no_grad()
def validate(network: nn.Module, config: TrainConfig, tasks: list[Task],
             crops: list[np.ndarray]) -> dict[str, dict[str, float]]:
    """Mean PSNR (the protocol's: 8-bit, RGB, data range 255) over the crops, model vs trivial baseline.

    The baseline is the degraded input itself (dn, dr) or its PIL bicubic upscale (sr). Crop ``i`` is
    degraded as training pairs are (the task's ``degrade_for_training``) with seed ``i``; the model runs
    through the same wrapper as
    ``cem-bench score`` (:class:`RestorationModel`), so input conventions are exercised too.
    """
    was_training = network.training
    model = RestorationModel(network, card_skeleton(config), None)
    scores: dict[str, dict[str, float]] = {}
    for task in tasks:
        model.configure(task)
        psnrs, baselines = [], []
        for index, crop in enumerate(crops):
            degraded = task.degrade_for_training(task.prepare_gt(crop), index)
            gt = degraded.gt
            roi = ROI(0, 0, min(gt.shape[:2]))
            output = model(to_tensor(degraded.lq)[None])
            gt_255 = torch.from_numpy(np.ascontiguousarray(gt[: roi.size, : roi.size])).permute(2, 0, 1).double()
            psnrs.append(float(roi_psnr(output.double(), gt_255, roi)[0]))
            baselines.append(input_psnr(gt, degraded.lq, roi))
        psnr, baseline = float(np.mean(psnrs)), float(np.mean(baselines))
        scores[task.label] = {"psnr": round(psnr, 4), "baseline": round(baseline, 4), "gain": round(psnr - baseline, 4)}
    network.train(was_training)
    return scores


def parameter_groups(network: nn.Module, lr_new: float | None, new_keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The optimiser's groups: every parameter at the schedule's lr, or the new layers apart at ``lr_new``."""
    if lr_new is None or not new_keys:
        return [{"params": list(network.parameters())}]
    named = list(network.named_parameters())
    return [{"params": [p for name, p in named if name not in new_keys]},
            {"params": [p for name, p in named if name in new_keys], "lr": lr_new}]


def _resume(state: dict[str, Any], network: nn.Module, optimizer: torch.optim.Optimizer,
            decay: torch.optim.lr_scheduler.LRScheduler, gen: torch.Generator, run: TrainRun) -> int:
    """Put every state back as the checkpoint saw it (global RNGs last: building the network drew from
    torch's); returns the iteration it was written after."""
    network.load_state_dict(state["network"])
    optimizer.load_state_dict(state["optimizer"])
    decay.load_state_dict(state["scheduler"])
    gen.set_state(state["sampler"])
    checkpoint.restore_rng(state["rng"])
    run.losses, run.history = list(state["losses"]), list(state["history"])
    run.seconds, run.resumed_at = float(state["seconds"]), [*state["resumed_at"], int(state["iteration"])]
    return int(state["iteration"])


def _start(config: TrainConfig, checkpointing: checkpoint.Checkpointing | None, log: Any) -> dict[str, Any] | None:
    """The checkpoint to resume from, ``None`` to start from scratch; refuses to overwrite one silently."""
    if checkpointing is None or not checkpointing.path.exists():
        return None
    if not checkpointing.resume:
        raise CemBenchError(f"{checkpointing.path} holds a checkpoint of {config.name}: resume it (--resume) "
                            "or delete it to start over")
    state = checkpoint.load(checkpointing.path, config)
    if log is not None:
        log(f"{config.name}: resuming after iteration {state['iteration']} from {checkpointing.path}")
        if state["torch"] != str(torch.__version__):
            log(f"note: the checkpoint was written by torch {state['torch']}, this is {torch.__version__}: the "
                "result may differ in the last bits from an uninterrupted run")
    return state


def train(config: TrainConfig, log: Any = None, checkpointing: checkpoint.Checkpointing | None = None) -> TrainRun:
    """Train ``config``'s network from scratch (or from its ``init`` weights), or from ``checkpointing``'s
    checkpoint when it resumes one.

    ``log`` (e.g. ``print``) receives progress lines. With ``checkpointing``, the whole training state is
    saved every ``every`` iterations and after the last (:mod:`.checkpoint`); a resumed run continues
    bitwise as the uninterrupted one would have. ``seconds`` count training time over all sessions.
    """
    schedule = config.train
    tasks = config.benchmark_tasks()
    resumed = _start(config, checkpointing, log)  # before the images: a refused checkpoint fails fast
    images, crops = training_set(config.data), validation_set(config.data)
    with reproducible(schedule.threads):
        torch.manual_seed(schedule.seed)
        network = build_network(card_skeleton(config)).train()
        # Also when resuming (the checkpoint then overwrites it): the base must still be there and unchanged.
        base = None if config.init is None else load_base(network, config.init, schedule.seed)
        if base is not None and log is not None and resumed is None:
            log(f"{config.name}: fine-tuning from {config.init.base_name} ({base.path}); new: {len(base.new_keys)} "
                "parameters" + (f" ({', '.join(base.new_keys[:2])}, …)" if base.new_keys else ""))
        draws = ("zoo-train", config.name) if schedule.samples == "name" else ("zoo-train", "pair", config.pair)
        gen = generator(schedule.seed, *draws)
        sampler = PatchSampler(images, schedule.patch, gen)
        new_keys = () if base is None else base.new_keys
        optimizer = torch.optim.Adam(parameter_groups(network, schedule.lr_new, new_keys), lr=schedule.lr, betas=(0.9, 0.99))
        decay = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, schedule.iterations, eta_min=schedule.lr_min)
        run = TrainRun(network, new_keys=new_keys)
        done = 0 if resumed is None else _resume(resumed, network, optimizer, decay, gen, run)
        if done == schedule.iterations:  # a finished run's checkpoint: outputs again, no training, no new resume
            run.resumed_at = run.resumed_at[:-1]
        started, before = time.perf_counter(), run.seconds

        def elapsed() -> float:
            return before + time.perf_counter() - started

        for iteration in range(done + 1, schedule.iterations + 1):
            inputs, targets, task_index = make_batch(tasks, sampler.sample(schedule.batch), gen, config.pre_upsample,
                                                      config.mix)
            outputs = network(inputs)
            if schedule.loss == "balanced_l1":
                loss = balanced_l1(outputs, targets, inputs, task_index)
            else:
                loss = F.l1_loss(outputs, targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            decay.step()
            run.losses.append(loss.item())
            last = iteration == schedule.iterations
            if iteration % schedule.validate_every == 0 or last:
                window = run.losses[-schedule.validate_every:]
                entry = {"iteration": iteration, "loss": round(float(np.mean(window)), 6),
                         "seconds": round(elapsed(), 1), "validation": validate(network, config, tasks, crops)}
                run.history.append(entry)
                if log is not None:
                    scores = ", ".join(f"{label} {v['psnr']:.2f} dB (baseline {v['baseline']:.2f})"
                                       for label, v in entry["validation"].items())
                    log(f"{config.name} it {iteration}/{schedule.iterations} loss {entry['loss']:.4f} "
                        f"{scores} [{entry['seconds']:.0f} s]")
            if checkpointing is not None and (iteration % checkpointing.every == 0 or last):
                checkpoint.save(checkpointing.path, config, {
                    "iteration": iteration, "network": network.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": decay.state_dict(), "sampler": gen.get_state(), "losses": run.losses,
                    "history": run.history, "seconds": elapsed(), "resumed_at": run.resumed_at})
        run.validation = run.history[-1]["validation"]
        run.seconds = elapsed()
    network.eval()
    return run
