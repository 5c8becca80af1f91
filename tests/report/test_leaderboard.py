"""Leaderboard Markdown and ranks, rendered from hand-made result files (no scoring)."""

import json

import numpy as np
import pandas as pd
import pytest
from handmade_results import PROTOCOL, TINY, make_result, write_results

from cem_bench.analysis.cluster import ImageMean
from cem_bench.analysis.coverage import Coverage, PairCoverage
from cem_bench.cli import main
from cem_bench.core.errors import CemBenchError
from cem_bench.core.version import __version__
from cem_bench.report.leaderboard import cells_caption, rank, render, render_with_coverage

WIDE = [1.0, 3.0] * 6  # box-blur-3's gains: 12 images, one unit each, enough for an interval


@pytest.fixture
def results(tmp_path):
    records = [
        make_result("box-blur-3", "dn-s50", WIDE, effect_range=0.5),
        make_result("box-blur-5", "dn-s50", [4.0, 4.0], effect_range=0.25),
        make_result("identity", "dn-s50", [0.0], multi_task=True),
        make_result("bicubic-x2", "sr-x2", [0.25]),
    ]
    records[0]["environment"]["created"] = "2031-05-06T07:08:09+00:00"
    write_results(tmp_path, records)
    return tmp_path


def section(text: str, title: str) -> list[str]:
    """The table rows under ``## title``."""
    table = text.split(f"## {title}\n", 1)[1].lstrip("\n").split("\n\n", 1)[0]
    return table.splitlines()[2:]  # after the header and the |---| line


def test_one_table_per_task_sorted_by_gain_with_intervals(results):
    text = render(results, "tiny")
    dn = section(text, "dn-s50")
    assert [row.split("|")[1].strip() for row in dn] == ["box-blur-5", "box-blur-3", "identity"]
    cells = [cell.strip() for cell in dn[1].split("|")]
    low, high = ImageMean(np.array(WIDE)).interval()  # the cluster interval of the 12 image means
    assert f"2.00 [{low:.2f}, {high:.2f}]" in cells and high - low > 0.5  # gain of box-blur-3: mean [low, high]
    assert "4.00" in [cell.strip() for cell in dn[0].split("|")]  # 2 images: the mean only
    assert "–" in cells  # an undefined aggregate (causal radius of all-zero maps)
    assert [row.split("|")[1].strip() for row in section(text, "sr-x2")] == ["bicubic-x2"]


def test_the_caption_names_the_method_and_the_number_of_images(results):
    text = render(results, "tiny")
    assert ("its 95% interval from the studentized cluster bootstrap over the n images (ROIs of an image resampled "
            "together); with fewer than 10 images, the mean alone. n = 1–12 images here.") in text
    assert "percentile" not in text
    three = pd.DataFrame({"level": [0.95, 0.95], "psnr_gain": [{"n_images": 3}, {"n_images": 3}]})
    assert "n = 3 images here, fewer than 10: cells show the mean only" in cells_caption(three)
    assert "n = 13 images here. The causal radius is the median over units" in cells_caption(three.assign(psnr_gain=[{"n_images": 13}] * 2))


def test_the_radius_column_is_a_median_with_its_censoring_not_a_mean_with_an_interval(results):
    cells, column = [], None
    for line in render(results, "tiny").splitlines():
        names = [cell.strip() for cell in line.split("|")]
        if "causal radius (median)" in names:  # a table's header: its own column index
            column = names.index("causal radius (median)")
        elif line.startswith("| ") and column is not None:
            cells.append(names[column])
        elif not line.startswith("|"):
            column = None
    cells = [cell for cell in cells if cell != "–"]
    assert cells and all(cell.endswith("at the image edge)") and "[" not in cell for cell in cells), cells


def test_header_multi_task_table_and_citation(results):
    text = render(results, "tiny")
    assert f"`{PROTOCOL['id']}`" in text and f"cem-bench {__version__}" in text
    assert "generated 2031-05-06" in text  # the newest result's date: same results, same file
    multi = section(text, "multi-task")
    assert len(multi) == 1 and multi[0].split("|")[1].strip() == "dn-s50" and "identity" in multi[0]
    assert "## How to cite" in text and "10.1109/TPAMI.2025.3557149" in text
    assert render(results, "tiny") == text


def test_rank_by_any_aggregate(results):
    assert rank(results, "tiny", "dn-s50", "box-blur-5") == (1, 3)
    assert rank(results, "tiny", "dn-s50", "identity") == (3, 3)
    assert rank(results, "tiny", "dn-s50", "box-blur-3", key="effect_range") == (1, 3)
    assert rank(results, "tiny", "sr-x2", "bicubic-x2") == (1, 1)
    with pytest.raises(CemBenchError, match="no result for box-blur-3 on sr-x2"):
        rank(results, "tiny", "sr-x2", "box-blur-3")


def test_no_results_is_an_error(tmp_path):
    with pytest.raises(CemBenchError, match="no results for suite tiny"):
        render(tmp_path, "tiny")


def test_leaderboard_command_writes_the_file(results, tmp_path, capsys):
    out = tmp_path / "reports" / "board.md"
    assert main(["leaderboard", "--suite", str(TINY), "--results", str(results), "--out", str(out)]) == 0
    assert out.read_text() == render(results, "tiny")
    assert main(["leaderboard", "--suite", "nothing", "--results", str(results), "--out", str(out)]) == 2
    assert "cem-bench: error: unknown suite 'nothing'" in capsys.readouterr().err
    assert main(["leaderboard", "--suite", str(TINY), "--results", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert "cem-bench: error: no results for suite tiny" in capsys.readouterr().err


def test_a_file_that_contradicts_itself_is_refused_and_nothing_is_written(results, tmp_path, capsys):
    path = results / "tiny" / "dn-s50" / "box-blur-3.json"
    record = json.loads(path.read_text())
    record["aggregates"]["psnr_gain"]["mean"] = 42.0  # would be printed as "42.00 [low, high]"
    path.write_text(json.dumps(record))
    out = tmp_path / "reports" / "board.md"
    assert main(["leaderboard", "--suite", str(TINY), "--results", str(results), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cem-bench: error: {path}: refused") and "aggregates.psnr_gain.mean: committed 42.0" in err
    assert err.count("\n") == 1 and not out.exists()
    with pytest.raises(CemBenchError, match="refused"):
        rank(results, "tiny", "dn-s50", "box-blur-5")


# --- a suite computed in budgeted runs: complete results ranked, the others with coverage only -------------

def pair(model: str, task: str, done: int, images: int, left: float | None, planned: int = 6) -> PairCoverage:
    return PairCoverage(model=model, task=task, units_done=done, units_planned=planned, images_done=images,
                        images_planned=planned // 3, timed_jobs=images, seconds_left=left)


@pytest.fixture
def progress() -> Coverage:
    """box-blur-3/5 and identity complete (files in ``results``); two models in progress, one not started."""
    pairs = [pair("box-blur-3", "dn-s50", 6, 2, 0.0), pair("box-blur-5", "dn-s50", 6, 2, 0.0),
             pair("identity", "dn-s50", 6, 2, 0.0), pair("bicubic-x2", "sr-x2", 6, 2, 0.0),
             pair("dncnn-color-blind", "dn-s50", 3, 1, 7200.0), pair("imdn-x2", "sr-x2", 1, 0, None),
             pair("carn-m-x2", "sr-x2", 0, 0, None)]
    return Coverage(tuple(sorted(pairs, key=lambda p: (p.task, p.model))), latest="2032-01-02T03:04:05+00:00")


def test_in_progress_models_show_coverage_never_means_or_ranks(results, progress):
    text = render_with_coverage(results, "tiny@0123456789abcdef", PROTOCOL["id"], progress)
    assert [row.split("|")[1].strip() for row in section(text, "dn-s50")] == ["box-blur-5", "box-blur-3", "identity"]
    rows = section(text, "dn-s50: in progress (not ranked)")
    assert [[cell.strip() for cell in row.split("|")[1:-1]] for row in rows] == [
        ["dncnn-color-blind", "3 / 6", "1 / 2", "2.0 h"]]
    sr = [[cell.strip() for cell in row.split("|")[1:-1]] for row in section(text, "sr-x2: in progress (not ranked)")]
    assert sr == [["carn-m-x2", "0 / 6", "0 / 2", "–"], ["imdn-x2", "1 / 6", "0 / 2", "–"]]
    ranked = section(text, "dn-s50") + section(text, "sr-x2") + section(text, "multi-task")
    for model in ("dncnn-color-blind", "imdn-x2", "carn-m-x2"):  # in no ranked table, in no other line
        assert not any(model in row for row in ranked)
        assert [line for line in text.splitlines() if model in line and "/" not in line] == []
    in_progress = section(text, "dn-s50: in progress (not ranked)") + section(text, "sr-x2: in progress (not ranked)")
    assert len(in_progress) == 3 and not any("[" in row or "." in row.split("|")[2] for row in in_progress)


def test_coverage_header_summary_citation_and_date(results, progress):
    text = render_with_coverage(results, "tiny@0123456789abcdef", PROTOCOL["id"], progress)
    assert text.startswith("# cem-bench leaderboard — suite `tiny`\n")
    assert f"**What to cite.** The numbers of this leaderboard, with protocol `{PROTOCOL['id']}`" in text
    assert "generated 2032-01-02" in text  # the newest unit is newer than every result file
    assert "all 6 of its units (2 images × 3 ROIs)" in text
    assert "Coverage: 4 of 7 (model, task) results complete, 28 / 42 (66.7%) units done" in text
    summary = dict((cells[1].strip(), cells[2].strip()) for cells in (row.split("|") for row in section(text, "Coverage")))
    assert summary == {"(model, task) results complete": "4 / 7", "models with every task complete": "4 / 7",
                       "images done (jobs: model, task, image)": "9 / 14 (64.3%)",
                       "units done (model, task, image, ROI)": "28 / 42 (66.7%)",
                       "estimated CPU time left": "2.0 h for the 1 incomplete result(s) with an estimate, + 2 with none yet"}
    assert f"suite tiny@0123456789abcdef, protocol {PROTOCOL['id']}" in text.split("## How to cite", 1)[1]
    assert render_with_coverage(results, "tiny@0123456789abcdef", PROTOCOL["id"], progress) == text


def test_coverage_render_refuses_another_protocol_and_nothing_at_all(results, progress, tmp_path):
    with pytest.raises(CemBenchError, match="carry protocol .*one leaderboard, one protocol"):
        render_with_coverage(results, "tiny@0123456789abcdef", "cem-v1/other", progress)
    with pytest.raises(CemBenchError, match="no results or finished units for suite tiny"):
        render_with_coverage(tmp_path / "empty", "tiny@0", PROTOCOL["id"], Coverage((pair("a", "dr", 0, 0, None),), None))
    assert "generated undated" in render_with_coverage(tmp_path / "empty", "tiny@0", PROTOCOL["id"],
                                                       Coverage((pair("a", "dr", 1, 0, None),), None))
    started = render_with_coverage(tmp_path / "empty", "tiny@0", PROTOCOL["id"], progress)
    assert "No model is complete on dn-s50 yet." in started and "| box-blur-5" in started  # listed, not ranked
    assert "## LAM vs CEM" not in started


def test_smoke_leaderboard_is_labelled_and_draws_no_verdict(results):
    text = render(results, "tiny", smoke=True)
    assert text.startswith("# CI smoke suite `tiny` — not for citation, no verdicts\n")
    assert "Draw no ranking or verdict from it and do not cite it" in text
    assert "## How to cite" not in text and "## LAM vs CEM" not in text
    assert section(text, "dn-s50") == section(render(results, "tiny"), "dn-s50")  # the same tables


def test_the_lam_cem_table_is_the_findings_reports(tmp_path):
    """One model set, one computation: the leaderboard prints the rows the findings report prints, and the
    analytic bicubic (huge DI, no gain) never enters."""
    from handmade_results import effect_map, image_grid, map_result, map_unit

    from cem_bench.analysis.agreement import agreement_rows
    from cem_bench.analysis.findings import analyse_all, load_units

    grid = image_grid(3)
    # model k: gain and LAM DI rise with k; its far blocks weaken with k, so CEM's DI falls
    records = [map_result(f"sr-model-{k}", "sr-x4", [
        map_unit(f"sr-model-{k}", "sr-x4", name, roi, 1.0 + k + 0.1 * i, effect_map(roi, 0.5, 3, 0.05 * (7 - k), 3),
                 lam_di=10.0 + k) for i, name, _, roi in grid]) for k in range(7)]
    records.append(map_result("bicubic-x4", "sr-x4", [
        map_unit("bicubic-x4", "sr-x4", name, roi, 0.0, effect_map(roi, 0.5, 3, 0.5, 3), lam_di=99.0)
        for _, name, _, roi in grid]))
    write_results(tmp_path, records)
    rows = agreement_rows(load_units(tmp_path, "tiny"))
    assert rows == (("sr-x4", "7", "1.00 [1.00, 1.00] (positive)", "-1.00 [-1.00, -1.00] (negative)", "disagree"),)
    assert "bicubic" not in str(rows)
    report_table = analyse_all(load_units(tmp_path, "tiny"), verdicts=False)[0].tables[-1]
    assert report_table.rows == rows
    board = render(tmp_path, "tiny").split("## LAM vs CEM: does a wider input go with a higher gain? (SR)\n", 1)[1]
    lines = [line for line in board.split("\n## ", 1)[0].splitlines() if line.startswith("| ")][1:]  # no header
    assert [[cell.strip() for cell in line.split("|")[1:-1]] for line in lines] == [list(row) for row in rows]
