"""Which suite task a model is scored on: the one rule, read from its card.

A card lists ``tasks`` as ``{task, levels}`` entries and one ``scale``. A model *supports* a task when
its scale equals the task's scale and some entry of the same task name fits the task's level:

* ``sr``: ``levels`` are scales; empty means "the card's scale".
* ``dn``: ``levels`` are sigmas (0-255 scale). Empty means any sigma (analytic operators). Exactly two
  levels starting at 0, ``[0, hi]``, are a *blind range*: any ``0 < sigma <= hi`` (sigma 0 is not a
  noise level, so such a list cannot be meant as discrete levels). Anything else lists the discrete
  sigmas the model was trained for, and only those fit.
* ``dr``: has no level; every ``dr`` entry fits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cem_bench.core.tasks import Task

if TYPE_CHECKING:  # model_registry depends on cem_bench, not the other way round at import time
    from cem_bench.models.card import ModelCard, TaskSupport


def level_fits(entry: "TaskSupport", task: Task) -> bool:
    """Whether one card entry ``{task, levels}`` covers ``task`` (scale is checked by :func:`supports`).

    >>> from cem_bench.models.card import TaskSupport
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


def supports(card: "ModelCard", task: Task) -> bool:
    """The model of ``card`` is scored on ``task``: same scale and an entry whose level fits.

    >>> from cem_bench.models import get_card
    >>> from cem_bench.core.tasks import get_task
    >>> supports(get_card("bicubic-x4"), get_task("sr", scale=4)), supports(get_card("bicubic-x4"), get_task("sr", scale=2))
    (True, False)
    >>> supports(get_card("box-blur-3"), get_task("dr")), supports(get_card("box-blur-3"), get_task("sr", scale=2))
    (True, False)
    """
    return card.scale == task.scale and any(level_fits(entry, task) for entry in card.tasks)


def is_multi_task(card: "ModelCard") -> bool:
    """A trained model whose card lists more than one task name (e.g. dn and dr) is multi-task.

    Analytic operators (identity, box blurs) list several tasks only because they apply to any; they
    are not multi-task models.

    >>> from cem_bench.models import get_card
    >>> is_multi_task(get_card("box-blur-3")), is_multi_task(get_card("bicubic-x4"))
    (False, False)
    """
    return not card.analytic and len({entry.task for entry in card.tasks}) > 1
