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
    return None


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
