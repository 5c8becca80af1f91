"""The findings Markdown and `cem-bench report`, on a hand-made suite."""

import pytest
from handmade_results import findings_records, write_results

from cem_bench.analysis.findings import finding1, finding2, finding3
from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.report.findings_md import render_findings

FIGURES = ["finding1.png", "finding2.png", "finding3.png", "gallery-dn-s50.png", "gallery-dr.png",
           "gallery-sr-x4.png"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    records = findings_records()
    records[3]["environment"]["created"] = "2031-05-06T07:08:09+00:00"  # the newest date is the report's
    write_results(root, records)
    return root


@pytest.fixture(scope="module")
def report(results, tmp_path_factory):
    figures = tmp_path_factory.mktemp("reports") / "figures"
    return render_findings(results, "tiny", figures), figures


def test_markdown_is_byte_identical_on_two_renders(results, report, tmp_path):
    text, _ = report
    assert render_findings(results, "tiny", tmp_path / "figures") == text


def test_every_section_has_hypothesis_test_figure_table_verdict_limits(report):
    text, figures = report
    assert "generated 2031-05-06" in text
    for module in (finding1, finding2, finding3):
        section = text.split(f"## Finding {module.NUMBER}: ", 1)[1].split("\n## ", 1)[0]
        assert module.HYPOTHESIS in section and module.TEST in section and module.LIMITS in section
        assert f"![Finding {module.NUMBER}](figures/finding{module.NUMBER}.png)" in section
        assert "|---" in section
        assert any(f"**Verdict: {v}.**" in section for v in ("supported", "not supported", "inconclusive"))
    assert "| 2         | Channel attention is futile for denoising       | supported |" in text
    assert "![sr-x4](figures/gallery-sr-x4.png)" in text
    assert sorted(path.name for path in figures.iterdir()) == FIGURES


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
    assert sorted(path.name for path in (out.parent / "figures").iterdir()) == FIGURES
    capsys.readouterr()
    assert main(["report", "--suite", "nothing", "--results", str(results), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cem-bench: error: no results for suite nothing") and err.count("\n") == 1
