"""Whether a model is for a task: the one rule, read from its card, used by scoring, suites and LAM.

A card lists ``tasks`` as ``{task, levels}`` entries and one ``scale``. A card *fits* a task when its
scale is the task's (a same-size network that the loader pre-upsamples, ``input.pre_upsample``, takes
the scale of the task instead) and some entry of the same task name fits the task's level:

* ``sr``: ``levels`` are scales; empty means "the card's scale".
* ``dn``: ``levels`` are sigmas (0-255 scale). Empty means any sigma (analytic operators). Exactly two
  levels starting at 0, ``[0, hi]``, are a *blind range*: any ``0 < sigma <= hi`` (sigma 0 is not a
  noise level, so such a list cannot be meant as discrete levels). Anything else lists the discrete
  sigmas the model was trained for, and only those fit.
* ``dr``: has no level; every ``dr`` entry fits.

A model is scored only on what it fits: a map of a model outside its trained degradation would say
more about the mismatch than about the model.

Greyscale models (``input.color: luma``) see only the BT.601 luma Y of the benchmark's RGB images; the
loader carries Cb/Cr around them (bicubically upscaled for SR). Decision: they fit only tasks whose
degradation a Y-only restoration can undo, :data:`LUMA_TASKS`. ``sr`` (restoring Y and upscaling the
chroma bicubically is the usual Y-channel SR evaluation) and ``dr`` (the synthetic rain is added equally
to R, G and B, and the Cb/Cr rows of the BT.601 matrix sum to zero, so the rain lies in Y except where a
channel clips). ``dn`` is refused: its noise is drawn independently per RGB channel, so the part of it
in Cb/Cr passes the model untouched and the score measures that noise, not the model: even a perfect luma
denoiser (clean Y exactly) gains only +1.2, +1.3 and +1.6 dB at sigma 15, 25 and 50 on the smoke
validation crop (seed 0; tests/models/test_task_fit.py), where RGB denoisers gain several dB. There is no
grey task variant; a grey denoiser cannot be benchmarked yet.
"""

from __future__ import annotations

from cem_bench.core.tasks import Task
from cem_bench.models.card import ModelCard, TaskSupport


def level_fits(entry: TaskSupport, task: Task) -> bool:
    """Whether one card entry ``{task, levels}`` covers ``task`` (scale is checked by :func:`fits`).

    >>> from cem_bench.core.tasks import get_task
    >>> level_fits(TaskSupport(task="dn", levels=[0, 50]), get_task("dn", sigma=37))   # blind range
    True
    >>> level_fits(TaskSupport(task="dn", levels=[15, 25, 50]), get_task("dn", sigma=37))
    False
    >>> level_fits(TaskSupport(task="dn"), get_task("dn", sigma=37))                    # any sigma
    True
    >>> level_fits(TaskSupport(task="sr", levels=[2, 4]), get_task("sr", scale=3))
    False
    >>> level_fits(TaskSupport(task="dn"), get_task("dr"))
    False
    """
    if entry.task != task.name:
        return False
    levels = entry.levels
    if task.name == "sr":
        return not levels or task.scale in levels
    if task.name == "dn":
        sigma = float(getattr(task, "sigma"))
        if not levels:
            return True
        if len(levels) == 2 and levels[0] == 0:
            return 0 < sigma <= levels[1]
        return sigma in levels
    return True


# Tasks a luma-only model can do on RGB images, and why (module docstring).
LUMA_TASKS = {
    "sr": "Y is restored by the model, Cb/Cr are upscaled bicubically (the Y-channel SR convention)",
    "dr": "the synthetic rain is achromatic (equal in R, G, B), so it lies in Y",
}
# Why the others are refused.
LUMA_REFUSALS = {
    "dn": ("adds noise to each RGB channel independently: the chroma noise would pass through untouched and the "
           "score would measure it, not the model; greyscale denoisers are refused (no grey task variant exists)"),
}


def luma_misfit(card: ModelCard, task: Task) -> str | None:
    """Why a greyscale (``input.color: luma``) model cannot be scored on ``task``, or ``None``.

    >>> from cem_bench.core.tasks import get_task
    >>> grey = ModelCard.model_validate({"name": "g", "description": "-", "tasks": [{"task": "dn"}],
    ...     "architecture": {"source": "project", "name": "identity"}, "input": {"color": "luma"},
    ...     "origin": {"paper": "-"}, "license": "MIT"})
    >>> luma_misfit(grey, get_task("dn", sigma=25))[:60]
    'model g sees luma only (input.color: luma), but task dn-s25 '
    >>> luma_misfit(grey, get_task("dr")) is None
    True
    """
    if card.input.color != "luma" or task.name in LUMA_TASKS:
        return None
    reason = LUMA_REFUSALS.get(task.name, "has a degradation not known to lie in luma alone")
    return f"model {card.name} sees luma only (input.color: luma), but task {task.label} {reason}"


def misfit(card: ModelCard, task: Task) -> str | None:
    """Why the model of ``card`` is not for ``task`` (one line), or ``None`` when it fits.

    >>> from cem_bench.models import get_card
    >>> from cem_bench.core.tasks import get_task
    >>> misfit(get_card("bicubic-x4"), get_task("sr", scale=2))
    'model bicubic-x4 upscales x4, but task sr-x2 needs x2'
    >>> misfit(get_card("bicubic-x4"), get_task("dr"))
    'model bicubic-x4 is for task(s) sr, not dr'
    """
    names = sorted({entry.task for entry in card.tasks})
    if task.name not in names:
        return f"model {card.name} is for task(s) {', '.join(names)}, not {task.name}"
    same_size = card.input.pre_upsample and task.name == "sr"
    if not same_size and card.scale != task.scale:
        return f"model {card.name} upscales x{card.scale}, but task {task.label} needs x{task.scale}"
    if not any(level_fits(entry, task) for entry in card.tasks):
        levels = sorted({f"{level:g}" for entry in card.tasks if entry.task == task.name for level in entry.levels})
        return f"model {card.name} was trained for {task.name} at {', '.join(levels)}, not {task.label}"
    return luma_misfit(card, task)


def fits(card: ModelCard, task: Task) -> bool:
    """The model of ``card`` is for ``task``: the scale matches and an entry's level fits.

    >>> from cem_bench.models import get_card
    >>> from cem_bench.core.tasks import get_task
    >>> fits(get_card("bicubic-x4"), get_task("sr", scale=4)), fits(get_card("bicubic-x4"), get_task("sr", scale=2))
    (True, False)
    >>> fits(get_card("box-blur-3"), get_task("dr")), fits(get_card("box-blur-3"), get_task("sr", scale=2))
    (True, False)
    """
    return misfit(card, task) is None


def is_multi_task(card: ModelCard) -> bool:
    """A trained model whose card lists more than one task name (e.g. dn and dr) is multi-task.

    Analytic operators (identity, box blurs) list several tasks only because they apply to any; they
    are not multi-task models.

    >>> from cem_bench.models import get_card
    >>> is_multi_task(get_card("box-blur-3")), is_multi_task(get_card("bicubic-x4"))
    (False, False)
    """
    return not card.analytic and len(card.task_names) > 1
