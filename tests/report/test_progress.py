"""Coverage Markdown: durations and the in-progress table (no mean, interval or rank in it)."""

from cem_bench.analysis.coverage import Coverage, PairCoverage
from cem_bench.report.progress import coverage_line, duration, progress_table


def test_durations_are_unknown_zero_minutes_or_hours():
    assert [duration(s) for s in (None, 0.0, 20.0, 90.0, 3599.0, 3600.0, 5 * 3600 + 360)] == [
        "–", "0", "< 1 min", "2 min", "60 min", "1.0 h", "5.1 h"]


def test_progress_rows_are_coverage_only_sorted_by_model():
    pairs = [PairCoverage("zoo", "dr", 9, 117, 1, 13, 1, 12 * 30.0), PairCoverage("abc", "dr", 0, 117, 0, 13, 0, None)]
    lines = progress_table(pairs).splitlines()
    assert [cell.strip() for cell in lines[0].split("|")[1:-1]] == ["model", "units done", "images done",
                                                                     "est. CPU time left"]
    assert [[cell.strip() for cell in line.split("|")[1:-1]] for line in lines[2:]] == [
        ["abc", "0 / 117", "0 / 13", "–"], ["zoo", "9 / 117", "1 / 13", "6 min"]]


def test_an_upper_bound_is_marked_and_counted():
    pairs = (PairCoverage("zoo", "dr", 9, 117, 1, 13, 1, 12 * 30.0),
             PairCoverage("abc", "dr", 0, 117, 0, 13, 0, 13 * 3600.0, bounded=True),
             PairCoverage("new", "dr", 0, 117, 0, 13, 0, None))
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in progress_table(pairs).splitlines()[2:]]
    assert [row[-1] for row in rows] == ["≤ 13.0 h", "–", "6 min"]
    line = coverage_line(Coverage(pairs, None))
    assert "13.1 h for the 2 incomplete result(s) with an estimate (1 of them upper bounds), + 1 with none yet" in line
