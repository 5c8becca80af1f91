"""What the members of a zoo pair must share, checked on their configs (docs/zoo.md, "Pair rules").

A pair (a config's ``pair``) isolates one factor, so its members agree on everything else: the training
images (``data``), the published start (``init``), the size (parameters within :data:`SIZE_TOLERANCE`, except
in a pair whose factor *is* size: :data:`SIZE_IS_THE_FACTOR`) and the schedule **per task**.

Per task: a member trained on an equal mix of k tasks gets k times the iterations and k times the validation
interval of a single-task member, and everything else in its schedule (seed, batch, patch, learning rates,
loss, samples) is the same. One task is drawn per sample with equal probability, so each task gets the same
number of training samples as in its single-task model (in expectation: the counts are binomial, with a
standard deviation of 0.2 % at 10,000 iterations of 16 per task). The cosine decay runs over each model's
own iterations, so at any fraction of training every member has the same learning rate *and* has seen the
same number of samples of each task: the schedule is the same function of per-task progress, and
validations fall at the same per-task points.

The first zoo (``data: skimage``) predates the per-task rule: its mixed model had the same total iterations as
each single-task model (docs/zoo.md, "Honesty notes"). It keeps the rule it was trained under: identical
schedules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence

from cem_bench.models.train.recipe import Schedule, TrainConfig

SIZE_TOLERANCE = 0.02  # largest member at most 2 % above the smallest
SIZE_IS_THE_FACTOR = frozenset({"depth-sr"})  # finding 1's family: depth (and so size) is what differs
FIRST_ZOO_DATA = "skimage"  # trained before the per-task rule: identical schedules instead


def is_mixed(config: TrainConfig) -> bool:
    return len(config.tasks) > 1


def per_task_schedule(config: TrainConfig) -> Schedule | None:
    """The schedule each task of ``config`` gets (iterations and validation interval divided by its number of
    tasks), or ``None`` when they do not divide."""
    count, schedule = len(config.tasks), config.train
    if schedule.iterations % count or schedule.validate_every % count:
        return None
    return schedule.model_copy(update={"iterations": schedule.iterations // count,
                                       "validate_every": schedule.validate_every // count})


def parameter_count(config: TrainConfig) -> int:
    """Parameters of the network ``config`` trains (built untrained, on CPU)."""
    from cem_bench.models.loading import build_network
    from cem_bench.models.train.loop import card_skeleton

    return sum(p.numel() for p in build_network(card_skeleton(config)).parameters())


def _schedule_problems(pair: str, members: Sequence[TrainConfig]) -> list[str]:
    if members[0].data == FIRST_ZOO_DATA:
        if len({member.train for member in members}) > 1:
            return [f"pair {pair}: first-zoo members must share one schedule"]
        return []
    problems, schedules = [], {}
    for member in members:
        schedule = per_task_schedule(member)
        if schedule is None:
            problems.append(f"{member.name}: {member.train.iterations} iterations and validation every "
                            f"{member.train.validate_every} must be multiples of its {len(member.tasks)} tasks")
        else:
            schedules[member.name] = schedule
    if len(set(schedules.values())) > 1:
        per_task = ", ".join(f"{name} {s.iterations}" for name, s in schedules.items())
        problems.append(f"pair {pair}: the schedule per task differs between members (iterations per task: "
                        f"{per_task}; a member with k tasks needs k times a single-task member's iterations and "
                        "validation interval, everything else equal)")
    return problems


def pair_problems(pair: str, members: Sequence[TrainConfig], params: Mapping[str, int]) -> list[str]:
    """Why ``members`` (configs of one pair, one data set) are not a controlled pair; empty when they are.

    ``params`` maps each member's name to its parameter count (:func:`parameter_count`).
    """
    problems = []
    if len({member.data for member in members}) > 1:
        problems.append(f"pair {pair}: members train on different data "
                        f"({', '.join(f'{m.name}: {m.data}' for m in members)})")
    if any(member.init != members[0].init for member in members):
        problems.append(f"pair {pair}: members start from different weights (init)")
    if members[0].init is not None and any(member.train.samples != "pair" for member in members):
        problems.append(f"pair {pair}: fine-tuned members must see the same batches (samples: pair)")
    if len({member.differs for member in members}) < len(members):
        problems.append(f"pair {pair}: two members say they differ in the same way (differs)")
    for member in members:
        if member.mix is not None and len(set(member.mix)) > 1:
            problems.append(f"{member.name}: mix {member.mix} is not equal, so its tasks get unequal training")
    if any(is_mixed(member) for member in members) and len({str(m.architecture) for m in members}) > 1:
        problems.append(f"pair {pair}: a multi-task pair compares one backbone; members differ in architecture")
    problems += _schedule_problems(pair, members)
    if pair not in SIZE_IS_THE_FACTOR:
        sizes = {member.name: params[member.name] for member in members}
        if max(sizes.values()) > (1 + SIZE_TOLERANCE) * min(sizes.values()):
            problems.append(f"pair {pair}: sizes differ by more than {SIZE_TOLERANCE:.0%} "
                            f"({', '.join(f'{name} {count:,}' for name, count in sizes.items())})")
    return problems


def zoo_problems(configs: Iterable[TrainConfig], params: Mapping[str, int], shipped: Collection[str] = ()) -> list[str]:
    """Every pair rule broken by ``configs``, grouped by pair; empty when the zoo is consistent.

    Members of a pair train on one data set, with one exception while the zoo is retrained: first-zoo members
    that are ``shipped`` (trained, their files committed) may sit beside members already configured for
    zoo II, whose partners are being retrained outside the repository; each data set is then checked apart.
    """
    pairs: dict[str, list[TrainConfig]] = defaultdict(list)
    for config in configs:
        pairs[config.pair].append(config)
    problems = []
    for pair, members in sorted(pairs.items()):
        first = [m for m in members if m.data == FIRST_ZOO_DATA]
        rest = [m for m in members if m.data != FIRST_ZOO_DATA]
        if first and rest and all(m.name in shipped for m in first):
            problems += pair_problems(pair, first, params) + pair_problems(pair, rest, params)
        else:
            problems += pair_problems(pair, members, params)
    return problems
