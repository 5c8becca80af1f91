"""Which model is scored on which suite task: the card rule, on every registered card and on edge cases."""

import pytest
import torch

from cem_bench.core.images import to_tensor, to_uint8
from cem_bench.core.tasks import get_task
from cem_bench.models import registered_cards
from cem_bench.models.card import ModelCard, TaskSupport
from cem_bench.models.loading import _RGB_TO_YCBCR, _YCBCR_OFFSET, RestorationModel
from cem_bench.models.smoke import psnr_uint8, validation_image
from cem_bench.models.task_fit import fits, is_multi_task, level_fits, luma_misfit, misfit


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


def grey_card(task: str, scale: int = 1) -> ModelCard:
    return ModelCard.model_validate({
        "name": f"grey-{task}", "description": "test", "tasks": [{"task": task}], "scale": scale,
        "architecture": {"source": "project", "name": "identity"}, "input": {"color": "luma"},
        "origin": {"paper": "none"}, "license": "MIT",
    })


def test_luma_models_fit_sr_and_dr_but_are_refused_on_rgb_noise():
    assert fits(grey_card("sr", 4), get_task("sr", scale=4)) and fits(grey_card("dr"), get_task("dr"))
    reason = misfit(grey_card("dn"), get_task("dn", sigma=25))
    assert reason is not None and reason.startswith("model grey-dn sees luma only (input.color: luma), but task dn-s25 "
                                                    "adds noise to each RGB channel independently")
    assert luma_misfit(grey_card("sr", 4), get_task("sr", scale=4)) is None
    assert all(card.input.color == "rgb" or "dn" not in card.task_names for card in registered_cards().values())


class PerfectLuma(torch.nn.Module):
    """A luma network that returns the clean image's Y exactly: the best any greyscale denoiser can do."""

    def __init__(self, clean_y: torch.Tensor) -> None:
        super().__init__()
        self.clean_y = clean_y

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return self.clean_y


def test_why_dn_is_refused_a_perfect_luma_denoiser_leaves_the_chroma_noise():
    task = get_task("dn", sigma=25)
    degraded = task.degrade(task.prepare_gt(validation_image()), 0)
    gt = to_tensor(degraded.gt)[None]
    clean_y = torch.einsum("ij,bjhw->bihw", _RGB_TO_YCBCR, gt)[:, :1] + _YCBCR_OFFSET[0]
    model = RestorationModel(PerfectLuma(clean_y), grey_card("dn"), None)
    output = to_uint8(model(to_tensor(degraded.lq)[None])[0])
    gain = psnr_uint8(output, degraded.gt) - psnr_uint8(degraded.lq, degraded.gt)
    assert 0 < gain < 2  # an RGB denoiser gains far more on the same crop (test_smoke: several dB)
