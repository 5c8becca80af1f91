"""Which model is scored on which suite task: the card rule, on every registered card and on edge cases."""

import pytest

from cem_bench.core.tasks import get_task
from cem_bench.models import registered_cards
from cem_bench.models.card import TaskSupport
from cem_bench.models.task_fit import fits, is_multi_task, level_fits


@pytest.mark.parametrize("levels, sigma, fits", [
    ([], 5, True), ([0, 50], 50, True), ([0, 50], 55, False), ([0, 50], 0.5, True),
    ([15, 25, 50], 25, True), ([15, 25, 50], 30, False), ([0, 25, 50], 10, False), ([50], 50, True),
])
def test_denoising_levels(levels, sigma, fits):
    assert level_fits(TaskSupport(task="dn", levels=levels), get_task("dn", sigma=sigma)) is fits


def test_sr_needs_the_card_scale_and_a_listed_level():
    cards = registered_cards()
    assert fits(cards["carn-m-x2"], get_task("sr", scale=2))
    assert not fits(cards["carn-m-x2"], get_task("sr", scale=4))  # the card's scale decides
    assert not level_fits(TaskSupport(task="sr", levels=[4]), get_task("sr", scale=2))
    assert level_fits(TaskSupport(task="sr"), get_task("sr", scale=2))


def test_every_registered_card_supports_something_of_its_own_task():
    for card in registered_cards().values():
        for entry in card.tasks:
            if entry.task == "sr":
                task = get_task("sr", scale=card.scale)
            elif entry.task == "dn":
                task = get_task("dn", sigma=entry.levels[-1] if entry.levels else 50)
            else:
                task = get_task("dr")
            assert fits(card, task), card.name


def test_deraining_and_cross_task():
    cards = registered_cards()
    assert fits(cards["prenet6-rain100l"], get_task("dr"))
    assert not fits(cards["prenet6-rain100l"], get_task("dn", sigma=50))
    assert not fits(cards["dncnn-color-blind"], get_task("dr"))


def test_analytic_operators_are_not_multi_task_models():
    cards = registered_cards()
    assert not is_multi_task(cards["identity"]) and not is_multi_task(cards["imdn-x4"])
    trained = [card for card in cards.values() if not card.analytic and len({e.task for e in card.tasks}) > 1]
    assert all(is_multi_task(card) for card in trained)
