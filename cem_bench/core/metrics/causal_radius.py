"""Causal radius: how far from the ROI one must look to find most of a map's effect.

Distance of a block to the ROI is the **Chebyshev gap in output pixels** between the block's rectangle
(clipped to the image for partial edge blocks) and the ROI rectangle: with half-open pixel intervals,
``gap_x = max(0, roi.x - block_x1, block_x0 - roi_x1)``, likewise ``gap_y``, and the distance is
``max(gap_x, gap_y)``. A block touching the ROI's edge or corner has distance 0; with 8-pixel blocks and
an aligned ROI, the next ring is at 8, then 16, ... The causal radius is the smallest distance ``r`` such
that blocks at distance ``<= r`` hold at least ``mass`` (90 %) of the total ``|CE|``.

The image limits it: rings farther out than :func:`complete_radius` are cut by the image edge, and the map
cannot show effect mass beyond the edge. A radius that reaches that limit is therefore a lower bound
("≥ R, image edge"), not a measurement; ``cem_bench.analysis.significance`` flags it.
"""

from __future__ import annotations

import numpy as np

from cem_bench.core.geometry import ROI, BlockGrid

DEFAULT_MASS = 0.9
_RELATIVE_SLACK = 1e-12  # cumulative float sums may land a hair below an exact 90 %


def block_distances(grid: BlockGrid, roi: ROI) -> np.ndarray:
    """``[rows, cols]`` Chebyshev gap (output pixels) between each block and the ROI (0 for ROI blocks).

    >>> block_distances(BlockGrid(32, 32, 8), ROI(8, 8, 8)).astype(int).tolist()
    [[0, 0, 0, 8], [0, 0, 0, 8], [0, 0, 0, 8], [8, 8, 8, 8]]
    """
    rows, cols = np.arange(grid.rows), np.arange(grid.cols)
    y0, y1 = rows * grid.block, np.minimum((rows + 1) * grid.block, grid.height)
    x0, x1 = cols * grid.block, np.minimum((cols + 1) * grid.block, grid.width)
    gap_y = np.maximum(0, np.maximum(roi.y - y1, y0 - (roi.y + roi.size)))
    gap_x = np.maximum(0, np.maximum(roi.x - x1, x0 - (roi.x + roi.size)))
    return np.maximum(gap_y[:, None], gap_x[None, :]).astype(np.float64)


def complete_radius(grid: BlockGrid, roi: ROI) -> float:
    """The largest block distance whose ring lies whole inside the image: the distance of the outermost
    block straight out from the ROI on its nearest side (0 when the ROI touches the edge).

    >>> complete_radius(BlockGrid(64, 64, 8), ROI(24, 24, 16))   # the quick suite: rings 0, 8, 16
    16.0
    >>> complete_radius(BlockGrid(256, 256, 8), ROI(32, 112, 32))  # 32 px from the left edge
    24.0
    """
    distance = block_distances(grid, roi)
    row, col = min(roi.y // grid.block, grid.rows - 1), min(roi.x // grid.block, grid.cols - 1)
    return float(min(distance[row, 0], distance[row, -1], distance[0, col], distance[-1, col]))


def causal_radius(ce: np.ndarray, roi: ROI, grid: BlockGrid, mass: float = DEFAULT_MASS) -> float:
    """Smallest distance from the ROI (output pixels) within which ``mass`` of the total ``|CE|`` lies.

    ROI (NaN) blocks are excluded. NaN when the map has no effect at all (total ``|CE|`` is 0).

    >>> ce = np.zeros((4, 4)); ce[1, 1] = np.nan
    >>> ce[0, 0], ce[3, 3] = 0.5, -0.05         # 91 % of |CE| touches the ROI
    >>> causal_radius(ce, ROI(8, 8, 8), BlockGrid(32, 32, 8))
    0.0
    >>> ce[3, 3] = -0.5                          # half of it is two rings out
    >>> causal_radius(ce, ROI(8, 8, 8), BlockGrid(32, 32, 8))
    8.0
    """
    if not 0 < mass <= 1:
        raise ValueError("mass must be in (0, 1]")
    magnitude = np.abs(ce).ravel()
    distance = block_distances(grid, roi).ravel()
    keep = ~np.isnan(magnitude)
    magnitude, distance = magnitude[keep], distance[keep]
    total = magnitude.sum()
    if total == 0:
        return float("nan")
    order = np.argsort(distance, kind="stable")
    cumulative = np.cumsum(magnitude[order])
    # All blocks at the same distance enter together, so look at the last block of each distance.
    sorted_distance = distance[order]
    last_of_ring = np.append(sorted_distance[1:] != sorted_distance[:-1], True)
    reached = (cumulative >= mass * total * (1 - _RELATIVE_SLACK)) & last_of_ring
    return float(sorted_distance[np.argmax(reached)])
