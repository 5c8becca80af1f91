"""Finding 2's pre-registered rule on hand-made RCAN-style pairs."""

from pathlib import Path

import pytest
import yaml
from handmade_results import make_model_result, unit_rows, write_results

from cem_bench.analysis.findings import finding2, load_units

ZOO = Path(__file__).resolve().parents[3] / "model_registry" / "zoo" / "configs"

BASE = [2.0, 2.5, 3.0]


def analyse(tmp_path, dn_delta, nz_ca=(2, 2, 2), sr=True, models=("ca", "noca", "win8")):
    records = []
    members = {"ca": ([g + d for g, d in zip(BASE, dn_delta)], list(nz_ca)), "noca": (BASE, [2, 2, 2]),
               "win8": (BASE, [1, 1, 1])}
    for member in models:
        gain, positive = members[member]
        records.append(make_model_result(f"zoo-dn-rcan-{member}", "dn-s50",
                                         unit_rows(psnr_gain=gain, positive=positive, negative=0)))
        if sr:
            records.append(make_model_result(f"zoo-sr-rcan-{member}", "sr-x4",
                                             unit_rows(psnr_gain=gain, positive=[p + 1 for p in positive])))
    write_results(tmp_path, records)
    return finding2.analyse(load_units(tmp_path, "tiny"))


def test_supported_when_attention_brings_nothing_to_denoising(tmp_path):
    result = analyse(tmp_path, [0.02, 0.01, 0.03])
    assert result.verdict.verdict == "supported", result.verdict.reason
    rows = {(row[0], row[2]): row for row in result.tables[0].rows}
    assert rows[("DN", "zoo-dn-rcan-ca − zoo-dn-rcan-noca")][3:5] == ("test", "3")
    assert rows[("SR", "zoo-sr-rcan-win8 − zoo-sr-rcan-noca")][6] == "-1.0"  # Δnz of the window member


def test_not_supported_when_attention_clearly_helps_denoising(tmp_path):
    result = analyse(tmp_path, [0.5, 0.6, 0.4])
    assert result.verdict.verdict == "not supported"


@pytest.mark.parametrize("delta, nz_ca, reason", [
    ([0.0, 0.3, 0.05], (2, 2, 2), "straddles 0.1 dB"),  # the gain CI crosses the threshold
    ([0.0, 0.0, 0.0], (3, 3, 3), "use more input"),  # no gain, but attention uses more blocks
])
def test_inconclusive(tmp_path, delta, nz_ca, reason):
    result = analyse(tmp_path, delta, nz_ca)
    assert result.verdict.verdict == "inconclusive"
    assert reason in result.verdict.reason


def test_missing_model_is_inconclusive_and_sr_is_not_needed(tmp_path):
    result = analyse(tmp_path, [0.0, 0.0, 0.0], models=("ca", "win8"))
    assert result.verdict.verdict == "inconclusive"
    assert "zoo-dn-rcan-noca" in result.verdict.reason
    assert analyse(tmp_path / "no-sr", [0.0, 0.0, 0.0], sr=False).verdict.verdict == "supported"


def test_the_pairs_are_the_zoo_rcan_families():
    configs = [yaml.safe_load(path.read_text()) for path in ZOO.glob("*.yaml")]
    for pair, family in ((finding2.DN, "rcan-dn"), (finding2.SR, "rcan-sr")):
        assert {c["name"] for c in configs if c["pair"] == family} == {pair.ca, pair.noca, pair.win8}
