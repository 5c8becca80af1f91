"""The findings Markdown and `cem-bench report`, on hand-made suites: verdicts from the standard suite only."""

from pathlib import Path

import pytest
from handmade_results import findings_map_records, findings_records, write_results, write_suite_results

from cem_bench.analysis.findings import finding1, finding2, finding3
from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.report.findings_md import render_findings

FIGURES = ["finding1.png", "finding2.png", "finding3.png", "gallery-dn-s50.png", "gallery-dr.png",
           "gallery-sr-x4.png"]
TINY = Path(__file__).resolve().parents[2] / "fixtures" / "tiny_suite.yaml"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    records = findings_records()
    records[3]["environment"]["created"] = "2031-05-06T07:08:09+00:00"  # the newest date is the report's
    write_results(root, records)
    return root


@pytest.fixture(scope="module")
def report(results, tmp_path_factory):
    figures = tmp_path_factory.mktemp("reports") / "figures-tiny"  # the folder `cem-bench report` uses for suite tiny
    return render_findings(results, "tiny", figures), figures


@pytest.fixture(scope="module")
def standard(tmp_path_factory):
    root = tmp_path_factory.mktemp("standard")
    write_suite_results(root, "standard", findings_map_records())
    return root


def test_markdown_is_byte_identical_on_two_renders(results, report, tmp_path):
    text, _ = report
    assert render_findings(results, "tiny", tmp_path / "figures-tiny") == text


def test_every_section_has_hypothesis_test_figure_tables_and_no_verdict_outside_the_standard_suite(report):
    text, figures = report
    assert "generated 2031-05-06" in text
    for module in (finding1, finding2, finding3):
        section = text.split(f"## Finding {module.NUMBER}: ", 1)[1].split("\n## ", 1)[0]
        assert module.HYPOTHESIS in section and module.TEST in section and module.LIMITS in section
        assert f"![Finding {module.NUMBER}](figures-tiny/finding{module.NUMBER}.png)" in section
        assert "|---" in section and "**Primary test.**" in section
        assert "**Verdict: no verdicts: verdicts come from the standard suite only.**" in section
    assert not any(f"**Verdict: {v}.**" in text for v in ("supported", "not supported", "inconclusive"))
    assert "(n too small)" in text  # three images: means without intervals
    assert "![sr-x4](figures-tiny/gallery-sr-x4.png)" in text
    assert sorted(path.name for path in figures.iterdir()) == FIGURES


def test_the_standard_suite_gets_verdicts_with_n_and_power(standard, tmp_path):
    text = render_findings(standard, "standard", tmp_path / "figures")
    for number in (1, 2, 3):
        section = text.split(f"## Finding {number}: ", 1)[1].split("\n## ", 1)[0]
        assert "**Verdict: supported.**" in section and "(n = 13 images)" in section, section[-1500:]
    summary = text.split("| finding", 1)[1].split("\n\n", 1)[0]
    assert summary.count("| supported ") == 3 and "with 80% power" in summary


def test_left_out_models_are_listed(standard, tmp_path):
    planned = {("zoo-dn-rcan-ca", "dn-s50"), ("pan-x4", "sr-x4"), ("zoo-dn-rcan-win8", "dn-s50")}
    text = render_findings(standard, "standard", tmp_path / "figures", planned=planned)
    assert "**Left out** (2 planned (model, task) without a complete result file" in text
    assert "dn-s50: zoo-dn-rcan-win8; sr-x4: pan-x4." in text


def test_relative_links_follow_the_report_folder(results, tmp_path):
    text = render_findings(results, "tiny", tmp_path / "out" / "figs", relative_to=tmp_path)
    assert "](out/figs/finding1.png)" in text


def test_no_results_is_an_error(tmp_path):
    with pytest.raises(CemBenchError, match="no results for suite tiny"):
        render_findings(tmp_path, "tiny", tmp_path / "figures")


def test_report_command(results, report, tmp_path, capsys):
    out = tmp_path / "reports" / "findings.md"
    assert main(["report", "--suite", "tiny", "--results", str(results), "--out", str(out)]) == 0
    assert out.read_text() == report[0]
    assert sorted(path.name for path in (out.parent / "figures-tiny").iterdir()) == FIGURES
    # a suite file is planned: its registered models without results are listed as left out
    assert main(["report", "--suite", str(TINY), "--results", str(results), "--out", str(out)]) == 0
    assert "**Left out**" in out.read_text() and "dncnn-color-blind" in out.read_text()
    capsys.readouterr()
    assert main(["report", "--suite", "nothing", "--results", str(results), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cem-bench: error: no results for suite nothing") and err.count("\n") == 1
