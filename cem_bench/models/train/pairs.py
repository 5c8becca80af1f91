"""Training pairs made by the benchmark's own degradations, so zoo models see exactly its inputs.

Each sample of a batch gets its task (uniform over the training mix) and an integer seed from the
training generator, and is degraded by that task's ``degrade(gt, seed)``: PIL bicubic downscaling for
``sr``, quantised Gaussian noise for ``dn``, the synthetic rain layer of ``cem_bench/tasks/dr.py`` for
``dr``, bit for bit what ``cem-bench score`` feeds a model (for ``dr``, in a window of a suite-sized image:
:meth:`~cem_bench.core.tasks.base.Task.degrade_for_training`). A same-size network trained for SR gets the
LR input upsampled by :func:`cem_bench.models.loading.pre_upsample`, the function its loader uses.
"""

from __future__ import annotations

import numpy as np
import torch

from cem_bench.core.images import to_tensor
from cem_bench.core.tasks import Task
from cem_bench.models.loading import pre_upsample

SEED_BOUND = 2**62  # per-sample degradation seeds are drawn below this


def degrade_sample(task: Task, gt: np.ndarray, seed: int, upsample_input: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(model input, target), float ``[3, h, w]`` / ``[3, H, W]`` in ``[0, 1]``, for one uint8 patch."""
    degraded = task.degrade_for_training(task.prepare_gt(gt), seed)
    lq = to_tensor(degraded.lq)
    if upsample_input and task.scale > 1:
        lq = pre_upsample(lq[None], task.scale)[0]
    return lq, to_tensor(degraded.gt)


def make_batch(tasks: list[Task], patches: np.ndarray, gen: torch.Generator, upsample_input: bool = False,
               mix: list[float] | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Degrade uint8 ``[B, P, P, 3]`` ground-truth patches into (inputs, targets, index of each sample's task).

    Each sample's task is uniform over ``tasks``, or drawn with the relative frequencies ``mix``.
    """
    count = len(patches)
    if mix is None:
        choice = torch.randint(len(tasks), (count,), generator=gen)
    else:
        choice = torch.multinomial(torch.tensor(mix, dtype=torch.float64), count, replacement=True, generator=gen)
    seeds = torch.randint(SEED_BOUND, (count,), generator=gen).tolist()
    pairs = [degrade_sample(tasks[t], patch, seed, upsample_input)
             for t, patch, seed in zip(choice.tolist(), patches, seeds)]
    return torch.stack([lq for lq, _ in pairs]), torch.stack([gt for _, gt in pairs]), choice
