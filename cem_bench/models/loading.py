"""Card -> ready-to-score model: build the network, load verified weights, apply input conventions.

:func:`load_model` is also the public ``cem_bench.load_model``: whatever a card's conventions (input
range, RGB or luma, a noise-level map, a scale argument, pre-upsampled SR), the module it returns takes
and returns RGB in ``[0, 1]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _NormBase
from torch.nn.parameter import is_lazy

from cem_bench.core.errors import CemBenchError, ParameterError
from cem_bench.core.tasks import Task, get_task
from cem_bench.models.builders import build
from cem_bench.models.card import ModelCard
from cem_bench.models.catalog import get_card
from cem_bench.models.failures import forward_failure
from cem_bench.models.key_hints import mismatch_hint, show_keys
from cem_bench.models.task_fit import misfit
from cem_bench.models.weights import read_state_dict, resolve_weights


def build_network(card: ModelCard) -> nn.Module:
    """The bare network for a non-spandrel card, with random weights.

    Only a vetted model builder is ever called (:mod:`cem_bench.models.builders`): a card naming other
    code (``os:system``, ``numpy:zeros``, a helper function) is refused before anything runs.
    """
    return build(card.architecture, card.name)


def _seeded_build(card: ModelCard, seed: int) -> nn.Module:
    """:func:`build_network` with torch's CPU and numpy's global generators seeded ``seed``, both restored after.

    Only the CPU generator: ``torch.manual_seed`` would also (lazily) reseed every GPU generator, which
    ``fork_rng(devices=[])`` does not restore. Draws a builder makes on a GPU are unseeded, so they still
    differ between two builds and are still caught.
    """
    numpy_state = np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(seed)
            np.random.seed(seed)
            return build_network(card)
    finally:
        np.random.set_state(numpy_state)


def _tensors(network: nn.Module) -> dict[str, torch.Tensor]:
    """Parameters and buffers, persistent or not (``state_dict`` leaves out non-persistent buffers)."""
    return {**dict(network.named_parameters()), **dict(network.named_buffers())}


def _varying_state(network: nn.Module, rebuilt: nn.Module) -> list[str]:
    """Names of the parameters or buffers that differ between two builds of one card (lazy ones: no value yet)."""
    other = _tensors(rebuilt)

    def same(a: torch.Tensor, b: torch.Tensor | None) -> bool:
        if b is None or is_lazy(b) or a.shape != b.shape or a.dtype != b.dtype:
            return False
        # exact equality, except that a NaN kept on purpose is the same NaN both times
        return bool(torch.isclose(a, b, rtol=0, atol=0, equal_nan=True).all())

    return [name for name, value in _tensors(network).items() if not is_lazy(value) and not same(value, other.get(name))]


def fill_step_counters(network: nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``state`` plus the BatchNorm ``num_batches_tracked`` buffers it lacks, filled as PyTorch fills them.

    Checkpoints saved before PyTorch 0.4.1 have no step counter; ``load_state_dict`` then takes the
    module's own value (0 for a new network) when the file carries no version metadata. The counter only
    sets the running-average momentum in training (``momentum=None``), never an eval output, so it is
    filled whatever the metadata says; every other missing key still fails the strict load.
    """
    filled = dict(state)
    for prefix, module in network.named_modules():
        counter = getattr(module, "num_batches_tracked", None)
        if isinstance(module, _NormBase) and module.track_running_stats and isinstance(counter, torch.Tensor):
            filled.setdefault(f"{prefix}.num_batches_tracked" if prefix else "num_batches_tracked", counter.clone())
    return filled


def load_strict(network: nn.Module, state: dict[str, torch.Tensor], name: str) -> None:
    """``load_state_dict(strict=True)`` with a one-line error naming the first mismatching keys and the card
    field that would fix them (:func:`~cem_bench.models.key_hints.mismatch_hint`); missing BatchNorm step
    counters are filled first (:func:`fill_step_counters`)."""
    given, state = list(state), fill_step_counters(network, state)
    expected = network.state_dict()
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    wrong = [key for key in expected if key in state and state[key].shape != expected[key].shape]
    if missing or unexpected or wrong:
        parts = [f"{label} {keys[:3]}{'…' if len(keys) > 3 else ''}" for label, keys in
                 (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)) if keys]
        hint = mismatch_hint(list(expected), given, bool(wrong) and not (missing or unexpected))
        raise CemBenchError(f"state dict does not match {name}: {'; '.join(parts)} — {hint}")
    network.load_state_dict(state, strict=True)


def _spandrel_network(card: ModelCard, state: dict[str, torch.Tensor]) -> nn.Module:
    import spandrel

    try:
        import spandrel_extra_arches

        spandrel_extra_arches.install(ignore_duplicates=True)
    except Exception:  # noqa: BLE001 - the extra architectures are optional
        pass
    try:
        descriptor = spandrel.ModelLoader().load_from_state_dict(state)
    except Exception as error:  # noqa: BLE001 - spandrel raises many types on unknown layouts
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CemBenchError(f"spandrel cannot load {card.name}: {reason} (the checkpoint has {len(state)} keys: "
                            f"{show_keys(list(state))}; check architecture.name, weights.key and weights.strip_prefix)") from None
    detected = descriptor.architecture.id
    if detected != card.architecture.name:
        raise CemBenchError(f"spandrel detected {detected} for {card.name}, but its card says {card.architecture.name}")
    return descriptor.model


# BT.601 "studio swing" YCbCr as in MATLAB's rgb2ycbcr (RGB in [0, 1] -> Y in [16, 235] / 255).
_RGB_TO_YCBCR = torch.tensor([[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]]) / 255.0
_YCBCR_OFFSET = torch.tensor([16.0, 128.0, 128.0]) / 255.0


def pre_upsample(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Bicubic upsampling (torch, ``align_corners=False``) of an SR input for a same-size network.

    Zoo training feeds its models through this same function, so inputs match at scoring time.

    >>> pre_upsample(torch.ones(1, 3, 2, 2), 4).shape
    torch.Size([1, 3, 8, 8])
    """
    if scale == 1:
        return x
    return F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)


class RestorationModel(nn.Module):
    """A loaded model that takes and returns RGB in ``[0, 1]``, whatever its own conventions."""

    def __init__(self, network: nn.Module, card: ModelCard, weights_sha256: str | None) -> None:
        super().__init__()
        self.network = network.eval()
        self.card = card
        self.name = card.name
        self.scale = card.scale
        self.weights_sha256 = weights_sha256
        self.noise_level: float | None = None
        self.task_label: str | None = None  # named in forward failures

    def configure(self, task: Task) -> None:
        """Check the task fits the card (:func:`~cem_bench.models.task_fit.misfit`) and pass task parameters
        the network needs (noise level; a pre-upsampled same-size network takes the task's scale)."""
        problem = misfit(self.card, task)
        if problem is not None:
            raise CemBenchError(problem)
        self.task_label = task.label
        if self.card.input.pre_upsample:
            self.scale = task.scale
        if self.card.input.noise_map:
            self.noise_level = float(getattr(task, "sigma")) / 255.0

    def use_defaults(self, sigma: float | None = None) -> None:
        """Settle what a bare forward needs without a task: a noise-map model's noise level is ``sigma``
        (checked to fit the card) or, by default, the card's only ``dn`` level; a pre-upsampled model that
        only does SR takes the card's only SR scale. Anything else waits for :meth:`configure`."""
        if sigma is not None:
            problem = misfit(self.card, get_task("dn", sigma=sigma))
            if problem is not None:
                raise ParameterError("sigma", f"does not fit: {problem}")
            self.configure(get_task("dn", sigma=sigma))
            return
        if self.card.input.noise_map:
            sigmas = sorted({level for entry in self.card.tasks if entry.task == "dn" for level in entry.levels})
            if len(sigmas) == 1:
                self.noise_level = sigmas[0] / 255.0
        if self.card.input.pre_upsample and self.card.task_names == {"sr"}:
            scales = {int(level) for entry in self.card.tasks for level in entry.levels}
            if len(scales) == 1:
                self.scale = scales.pop()

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.network.parameters())

    def _call(self, x: torch.Tensor) -> torch.Tensor:
        conventions = self.card.input
        if conventions.noise_map:
            if self.noise_level is None:
                sigmas = ", ".join(f"{level:g}" for entry in self.card.tasks if entry.task == "dn" for level in entry.levels)
                raise CemBenchError(f"model {self.name} needs a noise level: load it with sigma= ({sigmas or 'any'}) "
                                    "or configure a dn task")
            level = torch.full_like(x[:, :1], self.noise_level)
            return self.network(x, level)
        if conventions.scale_argument:
            return self.network(x, self.scale)
        return self.network(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """RGB ``[B, 3, h, w]`` in ``[0, 1]`` -> RGB ``[B, 3, h*s, w*s]``; a failure of the network is one line
        (:class:`~cem_bench.core.errors.ModelForwardError`: the model, the input size, the likely cause)."""
        try:
            return self._restore(x)
        except CemBenchError:
            raise
        except Exception as error:  # noqa: BLE001 - whatever the network raises, the user gets one line
            raise forward_failure(self.name, self.task_label, x, error) from error

    def _restore(self, x: torch.Tensor) -> torch.Tensor:
        range_, scale = self.card.input.range, self.scale
        if self.card.input.pre_upsample:
            x, scale = pre_upsample(x, self.scale), 1  # the network itself is same-size
        if self.card.input.color == "luma":
            matrix, offset = _RGB_TO_YCBCR.to(x), _YCBCR_OFFSET.to(x)
            ycbcr = torch.einsum("ij,bjhw->bihw", matrix, x) + offset[:, None, None]
            luma = self._call(ycbcr[:, :1] * range_) / range_
            chroma = F.interpolate(ycbcr[:, 1:], scale_factor=scale, mode="bicubic", align_corners=False)
            merged = torch.cat([luma, chroma], dim=1) - offset[:, None, None].to(x)
            return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(matrix), merged)
        return self._call(x * range_) / range_


def load_model(
    name_or_card: str | Path | ModelCard,
    weights: str | Path | None = None,
    device: torch.device | str = "cpu",
    allow_download: bool = False,
    *,
    sigma: float | None = None,
) -> RestorationModel:
    """A registered model (by name), a card file or a :class:`ModelCard`, ready to restore images.

    Builds the network, loads its weights (verified against the card's sha256, ``weights_only``), and
    returns it on ``device`` in eval mode with gradients off, wrapped so that it maps RGB ``[N, 3, H, W]``
    in ``[0, 1]`` to RGB ``[N, 3, H*s, W*s]`` in ``[0, 1]`` (``s`` = ``model.scale``) whatever the card's
    conventions. Outputs are not clipped (gradients, e.g. LAM's, must pass): clip before saving.

    ``sigma`` (0-255 scale) is the noise level for a non-blind denoiser that takes a noise map; it must
    be a level the card lists (or inside its blind range). Without it such a model uses the card's only
    ``dn`` level when it lists one, and otherwise refuses a forward until given one.
    ``model.configure(task)`` re-targets the model (noise level, pre-upsampled SR scale) for a task.

    >>> import torch
    >>> model = load_model("bicubic-x4")
    >>> model(torch.rand(1, 3, 8, 8)).shape
    torch.Size([1, 3, 32, 32])
    """
    card = name_or_card if isinstance(name_or_card, ModelCard) else get_card(name_or_card)
    digest = None
    if card.weights is None:
        if weights is not None:
            raise CemBenchError(f"model {card.name} has no weights to load")
        network = _seeded_build(card, seed=0)
        # A weightless card is for analytic operators; anything learnable would be scored at its random
        # initialisation and look like a real (if poor) model on the leaderboard.
        learnable = sum(1 if is_lazy(p) else p.numel() for p in network.parameters())
        if learnable:
            raise CemBenchError(
                f"model {card.name} lists no weights but its network has {learnable:,} learnable parameters: "
                "it would run with random weights; add a weights: block (file/url and sha256) to its card")
        # Random values kept in buffers are just as untrained: an operator's buffers are the same every build.
        varying = _varying_state(network, _seeded_build(card, seed=1))
        if varying:
            raise CemBenchError(
                f"model {card.name} lists no weights but its network's tensor(s) {', '.join(varying[:3])}"
                f"{' …' if len(varying) > 3 else ''} differ between two builds: it would run with "
                "random values; add a weights: block (file/url and sha256) to its card")
    else:
        path = resolve_weights(card, weights, allow_download)
        digest = card.weights.sha256
        state = read_state_dict(path, card.weights.key, card.weights.strip_prefix)
        if card.architecture.source == "spandrel":
            network = _spandrel_network(card, state)
        else:
            network = build_network(card)
            load_strict(network, state, card.name)
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    model = RestorationModel(network, card, digest).to(device).eval()
    model.use_defaults(sigma)
    return model
