"""The heatmap gallery: one PNG per task, every model's map of the first (image, ROI), ROI blocks grey."""

import numpy as np
import pytest
from handmade_results import findings_records, write_results

from cem_bench.analysis.findings import load_units
from cem_bench.report.gallery import ROI_GREY, draw_gallery, first_unit, map_image, task_gallery
from cem_bench.report.heatmap import BOUNDS, block_colours


@pytest.fixture(scope="module")
def units(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    write_results(root, findings_records())
    return load_units(root, "tiny")


def test_map_colours_follow_the_heatmap_module_with_grey_roi_blocks():
    ce = np.array([[np.nan, 3.0], [-0.5, 0.0]])
    image = map_image(ce, 8, BOUNDS["sr"], (16, 16))
    assert image.shape == (16, 16, 3)
    assert tuple(image[0, 0]) == ROI_GREY and tuple(image[7, 7]) == ROI_GREY
    expected = block_colours(ce, BOUNDS["sr"])
    assert np.allclose(image[0, 8], expected[0, 1]) and np.allclose(image[8, 0], expected[1, 0])
    assert np.allclose(image[0, 8], block_colours(np.array([[BOUNDS["sr"]]]), BOUNDS["sr"])[0, 0])  # clipped
    blended = map_image(ce, 8, 2.5, (16, 16), np.zeros((16, 16, 3), np.uint8))
    assert np.allclose(blended, 0.9 * image)


def test_first_unit_is_the_first_of_the_first_file(units):
    assert first_unit(units) == "img0@0,0,8"
    assert first_unit(units.iloc[:0]) is None


def test_one_png_per_task_with_every_model(units, tmp_path):
    drawn = draw_gallery(units, tmp_path)
    assert drawn == {task: f"gallery-{task}.png" for task in ("dn-s50", "dr", "sr-x4")}
    for name in drawn.values():
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
    assert task_gallery(units, "sr-x2", tmp_path / "none.png") is None


def test_an_image_that_is_not_here_still_draws(units, tmp_path):
    away = units.assign(source="assets:images/not-here.png")
    assert task_gallery(away, "dr", tmp_path / "dr.png") is not None
