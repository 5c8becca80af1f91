"""Heatmap gallery: every model's CEM map of the same image and ROI side by side, one PNG per task.

Colours as in :mod:`cem_bench.report.heatmap` (``seismic``, CE clipped to the task's ``BOUNDS``, signed
power): one common bound per task, so panels compare directly. ROI blocks (no CE of their own) are
grey and outlined. Maps are blended 90/10 with the *clean* crop (the result files do not store the
degraded input), which only shows where the scene is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cem_bench.analysis.findings.stats import cell
from cem_bench.core.errors import CemBenchError
from cem_bench.core.image_source import ImageSource
from cem_bench.report.figures import FONT, pyplot, save, style
from cem_bench.report.heatmap import BOUNDS, GAMMA, HEAT_WEIGHT, block_colours, signed_power

ROI_GREY = (0.6, 0.6, 0.6)
COLUMNS = 6  # panels per row
PANEL_INCHES = 2.0


def first_unit(units: pd.DataFrame) -> str | None:
    """The (image, ROI) key the suite lists first (the first unit of the first result file).

    >>> first_unit(pd.DataFrame({"unit": ["b@0,0,8", "a@0,0,8"], "order": [1, 0]}))
    'a@0,0,8'
    """
    if not len(units):
        return None
    return str(units.sort_values("order")["unit"].iloc[0])


def map_image(ce: np.ndarray, block: int, bound: float, size: tuple[int, int],
              background: np.ndarray | None = None) -> np.ndarray:
    """RGB ``[H, W, 3]`` in [0, 1]: block colours at output size, ROI blocks grey, optionally blended.

    >>> map_image(np.array([[np.nan, 0.0]]), 2, 1.0, (2, 4))[0, :, 0].round(2).tolist()
    [0.6, 0.6, 1.0, 1.0]
    """
    colours = block_colours(ce, bound)
    colours[np.isnan(ce)] = ROI_GREY
    height, width = size
    heat = np.repeat(np.repeat(colours, block, axis=0), block, axis=1)[:height, :width]
    if background is None or background.shape[:2] != heat.shape[:2]:
        return heat
    return HEAT_WEIGHT * heat + (1 - HEAT_WEIGHT) * background.astype(np.float64) / 255.0


def _background(row: Any) -> np.ndarray | None:
    """The clean crop of the unit's image, or ``None`` when it is not on this machine."""
    try:
        return ImageSource(source=row.source, crop=row.crop).read()
    except (CemBenchError, ValueError, OSError):
        return None


def _outline_roi(axis: Any, roi: tuple[int, int, int], colour: str = "black") -> None:
    from matplotlib.patches import Rectangle

    x, y, size = roi
    axis.add_patch(Rectangle((x - 0.5, y - 0.5), size, size, fill=False, edgecolor=colour, linewidth=1.2))


def task_gallery(units: pd.DataFrame, task: str, path: str | Path) -> Path | None:
    """One PNG of every model's map on ``task`` for the suite's first (image, ROI); ``None`` without units."""
    from matplotlib.colors import FuncNorm

    rows = units[units["task"] == task]
    key = first_unit(rows)
    if key is None:
        return None
    rows = rows[rows["unit"] == key].sort_values(["analytic", "model"])  # trained models first, then analytic
    first = rows.iloc[0]
    bound = BOUNDS[first["task_name"]]
    size = tuple(int(v) for v in first["size"])
    background = _background(first)
    panels = len(rows) + 1
    columns = min(COLUMNS, panels)
    lines = -(-panels // columns)
    with style() as plt:
        figure, axes = plt.subplots(lines, columns, figsize=(PANEL_INCHES * columns + 0.9, PANEL_INCHES * lines + 0.7),
                                    squeeze=False, layout="constrained")
        for axis in axes.flat:
            axis.set_axis_off()
        if background is not None:
            axes[0, 0].imshow(background, interpolation="nearest")
        else:
            axes[0, 0].text(0.5, 0.5, "image not on this machine", ha="center", va="center", fontsize=6)
        _outline_roi(axes[0, 0], first["roi"], "lime")
        axes[0, 0].set_title(f"{first['image']} (clean crop)\nROI outlined", fontsize=FONT - 2)
        for axis, row in zip(axes.flat[1:], rows.itertuples()):
            axis.imshow(map_image(row.ce, row.block, bound, size, background), interpolation="nearest")
            _outline_roi(axis, row.roi)
            kind = " (analytic)" if row.analytic else ""
            axis.set_title(f"{row.model}{kind}\ngain {cell(row.psnr_gain)} dB, {int(row.nonzero)} non-zero",
                           fontsize=FONT - 2)
        norm = FuncNorm((signed_power, lambda v: np.sign(v) * np.abs(v) ** GAMMA), vmin=-bound, vmax=bound)
        mappable = plt.cm.ScalarMappable(norm=norm, cmap="seismic")
        bar = figure.colorbar(mappable, ax=axes, fraction=0.03, pad=0.01, shrink=0.9)
        bar.set_label(f"CE on ROI PSNR (dB), ±{bound}", fontsize=FONT - 1)
        bar.set_ticks(np.linspace(-bound, bound, 5))
        bar.ax.tick_params(labelsize=6)
        figure.suptitle(f"{task}: CEM maps on {key}\ngrey: ROI blocks; blue hurts, red helps the ROI",
                        fontsize=FONT)
        return save(figure, path)


def draw_gallery(units: pd.DataFrame, folder: str | Path) -> dict[str, str]:
    """One gallery PNG per task into ``folder``; ``{task label: file name}`` in task order."""
    pyplot()
    drawn = {}
    for task in sorted(set(units["task"])):
        name = f"gallery-{task}.png"
        if task_gallery(units, task, Path(folder) / name) is not None:
            drawn[task] = name
    return drawn
