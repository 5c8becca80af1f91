"""The zoo's data split and training pairs (model_registry/train/data.py and pairs.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import needs_sun_hays

from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import to_tensor
from cem_bench.core.seeding import generator
from cem_bench.core.tasks import get_task
from cem_bench.core.tasks.sr import bicubic_resize
from cem_bench.models.loading import pre_upsample
from cem_bench.models.train import sun_hays
from cem_bench.models.train.data import (
    DATA_SETS,
    MOTORCYCLE_SPLIT,
    NEVER_USED,
    TRAIN_SOURCES,
    VALIDATION_CROPS,
    PatchSampler,
    describe,
    source_image,
    training_images,
    training_set,
    validation_crops,
    validation_set,
)
from cem_bench.models.train.pairs import SEED_BOUND, make_batch


@pytest.mark.parametrize("name", ["astronaut", "chelsea", "cat", "coffee", "rocket", "retina"])
def test_evaluation_and_bank_images_are_refused(name):
    with pytest.raises(CemBenchError, match="must not be used"):
        source_image(name)


def test_split_loads_offline_and_is_disjoint():
    images = training_images()
    assert len(images) == len(TRAIN_SOURCES)
    assert all(i.dtype == np.uint8 and i.ndim == 3 and i.shape[2] == 3 for i in images)
    assert images[TRAIN_SOURCES.index("stereo_motorcycle")].shape[1] == MOTORCYCLE_SPLIT
    crops = validation_crops()
    assert [c.shape for c in crops] == [(s, s, 3) for *_, s in VALIDATION_CROPS]
    for (name, _, x, _), crop in zip(VALIDATION_CROPS, crops):
        assert name not in NEVER_USED
        assert name not in TRAIN_SOURCES or (name == "stereo_motorcycle" and x >= MOTORCYCLE_SPLIT)
        assert crop.std() > 10  # textured, not a flat region


def test_patch_sampler_is_deterministic_and_augments():
    images = [np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)]
    first = PatchSampler(images, 8, generator(0, "t")).sample(32)
    again = PatchSampler(images, 8, generator(0, "t")).sample(32)
    other = PatchSampler(images, 8, generator(1, "t")).sample(32)
    assert first.shape == (32, 8, 8, 3) and first.dtype == np.uint8
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    crops = {images[0][y : y + 8, x : x + 8].tobytes() for y in range(13) for x in range(23)}
    plain = [patch.tobytes() in crops for patch in first]
    assert any(plain) and not all(plain)  # flips/rotations make patches that are not plain crops
    with pytest.raises(CemBenchError):
        PatchSampler(images, 64, generator(0))


def replay_seeds(gen_state: torch.Tensor, count: int, tasks: int) -> tuple[list[int], list[int]]:
    gen = torch.Generator()
    gen.set_state(gen_state)
    choice = torch.randint(tasks, (count,), generator=gen).tolist()
    return choice, torch.randint(SEED_BOUND, (count,), generator=gen).tolist()


def test_pairs_are_the_benchmark_degradations():
    tasks = [get_task("sr", scale=4), get_task("dn", sigma=50), get_task("dr")]
    patches = PatchSampler(training_images(), 32, generator(0, "p")).sample(6)
    gen = generator(0, "pairs")
    choice, seeds = replay_seeds(gen.get_state(), len(patches), len(tasks))
    inputs, targets, _ = make_batch(tasks, patches, gen, upsample_input=True)
    assert inputs.shape == targets.shape == (6, 3, 32, 32)
    for k, (t, seed) in enumerate(zip(choice, seeds)):
        degraded = tasks[t].degrade_for_training(patches[k], seed)  # dr: a window of a suite-sized image
        expected = to_tensor(degraded.lq)
        if tasks[t].name == "sr":
            assert np.array_equal(degraded.lq, bicubic_resize(patches[k], 8, 8))
            expected = pre_upsample(expected[None], 4)[0]
        assert torch.equal(inputs[k], expected)
        assert torch.equal(targets[k], to_tensor(patches[k]))
    assert len(set(seeds)) == len(seeds)


def test_a_batch_uses_the_generator_alike_whatever_the_number_of_tasks():
    """With ``samples: pair`` a multi-task family's members share one generator seed; since a batch of one, two or
    three tasks draws the same amount from it, every member sees the same patches and degradation seeds at every
    iteration (the mixed model with its own task per sample)."""
    tasks = [get_task("dn", sigma=50), get_task("sr", scale=4), get_task("dr")]
    patches = PatchSampler(training_images(), 16, generator(0, "p")).sample(4)
    states, seeds = [], []
    for count in (1, 2, 3):
        gen = generator(0, "pair")
        seeds.append(replay_seeds(gen.get_state(), len(patches), count)[1])
        make_batch(tasks[:count], patches, gen, upsample_input=True)
        states.append(gen.get_state())
    assert all(torch.equal(state, states[0]) for state in states) and seeds[0] == seeds[1] == seeds[2]


def test_sr_pairs_without_pre_upsampling_are_low_resolution():
    patches = PatchSampler(training_images(), 16, generator(0, "p")).sample(2)
    inputs, targets, _ = make_batch([get_task("sr", scale=4)], patches, generator(0))
    assert inputs.shape == (2, 3, 4, 4) and targets.shape == (2, 3, 16, 16)


def test_the_recipe_knows_every_data_set():
    from typing import get_args

    from cem_bench.models.train.recipe import TrainConfig

    assert get_args(TrainConfig.model_fields["data"].annotation) == DATA_SETS


def test_sun_hays_without_the_assets_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("CEM_BENCH_ASSETS", str(tmp_path))
    with pytest.raises(CemBenchError, match="needs the shared assets' benchmarks/CSun_Hays80"):
        training_set("sun-hays80")
    with pytest.raises(CemBenchError, match="unknown training data"):
        validation_set("div2k")


@needs_sun_hays
def test_sun_hays_split_is_fixed_and_disjoint():
    train, validation = sun_hays.split()
    names = sorted(path.name for path in sun_hays.files())
    assert len(train) == 72 and len(validation) == 8 and not set(train) & set(validation)
    assert validation == names[::10] and sorted(train + validation) == names
    crops = validation_set("sun-hays80")
    assert [crop.shape for crop in crops] == [(128, 128, 3)] * 8 and all(crop.std() > 10 for crop in crops)
    images = training_set("sun-hays80")
    assert len(images) == len(TRAIN_SOURCES) + 72 and all(image.shape[2] == 3 for image in images)
    info = describe("sun-hays80")
    assert info["sun_hays80_train"] == train and [c[0] for c in info["validation_crops"]] == validation
