"""The findings figures: PNGs at fixed sizes, without volatile metadata, also when models are missing."""

import pytest
from handmade_results import findings_records, write_results

from cem_bench.analysis.findings import load_units
from cem_bench.report.figures import DPI, FIGURES, draw_findings

PNG = b"\x89PNG\r\n\x1a\n"
SIZES = {"finding1.png": (15, 4.8), "finding2.png": (11, 7.5), "finding3.png": (11, 4.4)}


def png_size(path):
    data = path.read_bytes()
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.fixture(scope="module")
def units(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    write_results(root, findings_records())
    return load_units(root, "tiny")


def test_figures_are_fixed_size_pngs_without_software_metadata(units, tmp_path):
    drawn = draw_findings(units, tmp_path)
    assert drawn == {1: "finding1.png", 2: "finding2.png", 3: "finding3.png"} and list(FIGURES) == list(SIZES)
    for name, (width, height) in SIZES.items():
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG) and b"matplotlib" not in data.lower()
        assert png_size(tmp_path / name) == (round(width * DPI), round(height * DPI))


def test_redrawing_gives_the_same_bytes(units, tmp_path):
    draw_findings(units, tmp_path / "a")
    draw_findings(units, tmp_path / "b")
    for name in FIGURES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_missing_models_still_give_every_figure(units, tmp_path):
    only_sr = units[units["task"] == "sr-x4"]
    assert set(draw_findings(only_sr.iloc[:0], tmp_path / "none").values()) == set(FIGURES)
    assert set(draw_findings(only_sr, tmp_path / "sr").values()) == set(FIGURES)
