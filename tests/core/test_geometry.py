import pytest

from cem_bench.core.errors import CemBenchError
from cem_bench.core.geometry import ROI, BlockGrid


def test_grid_with_partial_blocks():
    grid = BlockGrid(44, 60, 8)
    assert (grid.rows, grid.cols, grid.n_blocks) == (6, 8, 48)


def test_input_block_for_sr():
    assert BlockGrid(64, 64, 8, scale=4).in_block == 2
    with pytest.raises(CemBenchError, match="does not fit scale 3"):
        BlockGrid(66, 66, 8, scale=3)


@pytest.mark.parametrize("text", ["1,2,3,4", "a,b", "-1,5", ""])
def test_bad_roi_text(text):
    with pytest.raises(CemBenchError):
        ROI.parse(text)


def test_roi_outside_and_roi_blocks():
    grid = BlockGrid(64, 64, 8)
    with pytest.raises(CemBenchError, match="not inside"):
        grid.roi_mask(ROI(50, 0, 16))
    assert grid.roi_mask(ROI(4, 4, 8)).sum() == 4  # unaligned: overlaps 2x2 blocks
