"""Integrated gradients along a path, as a right Riemann(-Stieltjes) sum with batched path steps.

With ``alpha_i = i / n`` (``i = 0 .. n``) and ``x_i = x(alpha_i)`` on the path,

    A = sum_{i=1..n} grad T(model(x_i)) * (x_i - x_{i-1})        (per input pixel and channel)

the LAM reference's rule: the gradient at the right end of each step times the exact increment of
the path over that step. By the chain rule ``sum(A)`` tends to ``T(x_n) - T(x_0)`` (completeness) as
``n`` grows; the gap is reported. Steps are pushed through the model ``batch_size`` at a time; the
per-step products are accumulated in float64 in step order, so batching changes nothing but the
model's own float32 arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from cem_bench.core.errors import ModelOutputError
from cem_bench.lam.path import BlurPath

Target = Callable[[torch.Tensor], torch.Tensor]  # model output [B, C, H, W] -> per-sample target [B]


@dataclass
class PathIntegral:
    """Signed attribution ``[C, h, w]`` (float64) and the target at every path point ``[n + 1]``."""

    attribution: np.ndarray
    targets: np.ndarray
    forwards: int

    @property
    def completeness_gap(self) -> float:
        """``sum(attribution) - (T(input) - T(baseline))``: 0 for the exact path integral."""
        return float(self.attribution.sum() - (self.targets[-1] - self.targets[0]))


def _forward(model: Callable[[torch.Tensor], torch.Tensor], batch: torch.Tensor,
             expected: tuple[int, int]) -> torch.Tensor:
    output = model(batch)
    if output.ndim != 4 or output.shape[1] != 3 or tuple(output.shape[-2:]) != expected:
        raise ModelOutputError(f"model output has shape {tuple(output.shape)}, expected [B, 3, {expected[0]}, "
                               f"{expected[1]}] (wrong scale?)")
    return output


def integrated_gradients(
    model: Callable[[torch.Tensor], torch.Tensor],
    path: BlurPath,
    target: Target,
    steps: int,
    out_size: tuple[int, int],
    batch_size: int,
    progress: bool = False,
) -> PathIntegral:
    """Integrate ``grad target(model(x))`` along ``path`` in ``steps`` right-endpoint steps.

    ``path.image`` is on the model's device; ``out_size`` is the expected output (H, W).
    """
    alphas = torch.arange(steps + 1, dtype=torch.float64) / steps
    targets = np.empty(steps + 1, dtype=np.float64)
    with torch.no_grad():
        baseline = path.points(alphas[:1]).to(torch.float32)
        targets[0] = float(target(_forward(model, baseline, out_size))[0])
    total = torch.zeros_like(path.image)
    bar = tqdm(total=steps, unit="step", desc="LAM", disable=not progress, leave=False)
    for first in range(1, steps + 1, batch_size):
        index = torch.arange(first, min(first + batch_size, steps + 1))
        points = path.points(alphas[index]).to(torch.float32).requires_grad_(True)
        values = target(_forward(model, points, out_size))
        # autograd.grad, not backward(): no .grad is accumulated on a caller's own parameters.
        (gradient,) = torch.autograd.grad(values.sum(), points)
        products = gradient.to(torch.float64) * path.increments(alphas[index], alphas[index - 1])
        for product in products:  # fixed step order: the sum does not depend on the batch size
            total += product
        targets[index.numpy()] = values.detach().to(torch.float64).cpu().numpy()
        bar.update(len(index))
    bar.close()
    if not (np.isfinite(targets).all() and bool(torch.isfinite(total).all())):
        raise ModelOutputError("model output or its gradient contains NaN or Inf along the LAM path")
    return PathIntegral(attribution=total.cpu().numpy(), targets=targets, forwards=steps + 1)
