"""A sha256 written without quotes: 64 digits that YAML would read as a number are kept as written."""

from __future__ import annotations

import pytest
import yaml

from cem_bench.core.config import load_yaml, validate_yaml
from cem_bench.core.errors import CemBenchError
from cem_bench.models.card import ModelCard

CARD = """name: digits
description: test
tasks: [{task: dn}]
architecture: {source: project, name: identity}
weights: {file: w.pth, sha256: %s}
origin: {paper: none}
license: MIT
"""
DECIMAL = "1234567890" * 6 + "1234"  # a decimal integer to plain YAML
OCTAL = "0" + "1234567" * 9  # an *octal* integer to plain YAML: 0-led, digits 0-7 only


@pytest.mark.parametrize("digest", [DECIMAL, OCTAL, "0" * 64])
def test_unquoted_all_digit_sha256_is_kept_exactly(digest):
    assert isinstance(yaml.safe_load(f"sha256: {digest}")["sha256"], int)  # what the card reader used to get
    assert len(digest) == 64
    card = validate_yaml(ModelCard, CARD % digest, "model card digits.yaml")
    assert card.weights.sha256 == digest  # leading zeros included


def test_other_scalars_resolve_as_before():
    assert load_yaml("a: 12\nb: 0o17\nc: 1.5\nd: '0123'\ne: abc\nf: " + "1" * 65) == yaml.safe_load(
        "a: 12\nb: 0o17\nc: 1.5\nd: '0123'\ne: abc\nf: " + "1" * 65)


def test_an_integer_sha256_from_elsewhere_is_accepted_only_when_certain():
    data = yaml.safe_load(CARD % DECIMAL)  # a plug-in that read its card with plain yaml.safe_load
    assert ModelCard.model_validate(data).weights.sha256 == DECIMAL
    data = yaml.safe_load(CARD % OCTAL)  # the leading zero is gone and the value is octal: not recoverable for sure
    with pytest.raises(ValueError, match="quote it"):
        ModelCard.model_validate(data)


def test_a_non_digest_number_is_refused_in_one_line():
    with pytest.raises(CemBenchError, match=r"^invalid model card d.yaml: weights.sha256: Value error, a sha256 was read as "
                                            r"the number 12 \(2 digits\).*quote it"):
        validate_yaml(ModelCard, CARD % "12", "model card d.yaml")
