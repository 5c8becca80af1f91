"""Finding 2's pre-registered rule (TOST on the gain, more significant blocks) on hand-made RCAN-style pairs."""

from pathlib import Path

import pytest
import yaml
from handmade_results import effect_map, image_grid, map_result, map_unit, write_results

from cem_bench.analysis.findings import analyse_all, finding2, load_units

ZOO = Path(__file__).resolve().parents[3] / "model_registry" / "zoo" / "configs"


def wobble(i: int, k: int) -> float:
    """A small image- and ROI-dependent spread, so intervals are not degenerate."""
    return ((i * 7 + k * 3) % 5 - 2) * 0.01


def records(delta_gain, ca_blocks, models=("ca", "noca", "win8"), images: int = 13) -> list[dict]:
    """The DN family: ca differs from noca by ``delta_gain(i, k)`` dB and has ``ca_blocks(i, k)`` significant
    blocks (noca: 1); win8 equals noca. The SR pair, the contrast, is ca = noca + 2 blocks."""
    out = []
    for member in models:
        for task, family in (("dn-s50", "zoo-dn-rcan-"), ("sr-x4", "zoo-sr-rcan-")):
            units = []
            for i, name, k, roi in image_grid(images):
                base = 3.0 + 0.1 * i + wobble(i, k)
                gain = base + (delta_gain(i, k) if member == "ca" and task == "dn-s50" else 0.0)
                blocks = ca_blocks(i, k) if member == "ca" and task == "dn-s50" else 1
                blocks = 3 if member == "ca" and task == "sr-x4" else blocks
                units.append(map_unit(family + member, task, name, roi, gain, effect_map(roi, 0.3, blocks)))
            out.append(map_result(family + member, task, units))
    return out


def analyse(tmp_path, *args, **kwargs):
    write_results(tmp_path, records(*args, **kwargs))
    return analyse_all(load_units(tmp_path, "tiny"))[1]


def test_supported_when_attention_adds_input_but_not_quality(tmp_path):
    result = analyse(tmp_path, wobble, lambda i, k: 2 + i % 2)  # 1 or 2 more blocks, by image
    assert result.verdict.verdict == "supported", result.verdict.reason
    assert "TOST ±0.10 dB" in result.verdict.reason and "n = 13 images" in result.verdict.reason
    assert "equivalence provable for margins" in result.primary.power
    rows = {row[1]: row for row in result.tables[0].rows}
    assert rows["zoo-dn-rcan-ca − zoo-dn-rcan-noca"][2:4] == ("test", "13")
    assert rows["zoo-sr-rcan-ca − zoo-sr-rcan-noca"][2] == "contrast" and rows["zoo-sr-rcan-ca − zoo-sr-rcan-noca"][5] == "2.0"
    assert rows["zoo-dn-rcan-win8 − zoo-dn-rcan-noca"][2] == "descriptive"


def test_not_supported_when_attention_clearly_helps_denoising(tmp_path):
    result = analyse(tmp_path, lambda i, k: 0.5 + wobble(i, k), lambda i, k: 3)
    assert result.verdict.verdict == "not supported", result.verdict.reason
    assert "attention changes denoising" in result.verdict.reason


@pytest.mark.parametrize("delta, blocks", [
    (lambda i, k: 0.1 + wobble(i, k), lambda i, k: 3),  # the gain difference sits on the margin
    (wobble, lambda i, k: 1),  # no gain difference, but no extra input either: not "futile involvement"
])
def test_inconclusive(tmp_path, delta, blocks):
    assert analyse(tmp_path, delta, blocks).verdict.verdict == "inconclusive"


def test_a_missing_model_is_inconclusive(tmp_path):
    result = analyse(tmp_path, wobble, lambda i, k: 3, models=("ca", "win8"))
    assert result.verdict.verdict == "inconclusive" and "zoo-dn-rcan-noca" in result.verdict.reason


def test_the_pairs_are_the_zoo_rcan_families():
    configs = [yaml.safe_load(path.read_text()) for path in ZOO.glob("*.yaml")]
    for pair, family in ((finding2.DN, "rcan-dn"), (finding2.SR, "rcan-sr")):
        names = {c["name"] for c in configs if c["pair"] == family}
        assert {pair.ca, pair.noca} <= names and all(name.startswith(pair.prefix) for name in names)


def test_the_bsrn_family_is_described_but_does_not_decide(tmp_path):
    bsrn = []
    for member, blocks in (("ca", 3), ("noca", 1), ("win16", 2)):
        units = [map_unit("zoo-sr-bsrn-" + member, "sr-x4", name, roi, 1.0 + wobble(i, k), effect_map(roi, 0.3, blocks))
                 for i, name, k, roi in image_grid(13)]
        bsrn.append(map_result("zoo-sr-bsrn-" + member, "sr-x4", units))
    write_results(tmp_path, records(wobble, lambda i, k: 2 + i % 2) + bsrn)
    result = analyse_all(load_units(tmp_path, "tiny"))[1]
    assert result.verdict.verdict == "supported"  # the DN pair alone decides
    rows = {row[1]: row for row in result.tables[0].rows}
    assert rows["zoo-sr-bsrn-ca − zoo-sr-bsrn-noca"][0] == "SR (BSRN)"
    assert rows["zoo-sr-bsrn-ca − zoo-sr-bsrn-noca"][2] == "contrast" and rows["zoo-sr-bsrn-ca − zoo-sr-bsrn-noca"][5] == "2.0"
    assert rows["zoo-sr-bsrn-win16 − zoo-sr-bsrn-noca"][2:6] == ("descriptive", "13", "0.00", "1.0")
    assert "zoo-sr-bsrn-win16" in {row[1] for row in result.tables[1].rows}


def test_the_bsrn_family_is_the_fine_tuned_pair():
    configs = [yaml.safe_load(path.read_text()) for path in ZOO.glob("*.yaml")]
    names = {c["name"] for c in configs if c["pair"] == "bsrn-sr"}
    pair = finding2.SR_BSRN
    assert {pair.ca, pair.noca} <= names and all(name.startswith(pair.prefix) for name in names)
