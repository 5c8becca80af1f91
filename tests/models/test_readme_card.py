"""The README's card example is a valid card: every field it shows exists in the schema."""

from __future__ import annotations

import re
from pathlib import Path

from cem_bench.core.config import validate_yaml
from cem_bench.models.card import ModelCard

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_submit_card_example_validates():
    section = README.read_text().split("## Submit your model", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, re.S).group(1).replace("<64 hex digits>", "0" * 64)
    card = validate_yaml(ModelCard, example, "README card example")
    assert card.weights.key == "params" and card.weights.strip_prefix == "module."
    shown = set(card.input.model_fields_set)
    assert shown == {"range", "color", "noise_map", "scale_argument", "pre_upsample"}  # every input convention
