"""CEM heatmaps drawn the way the paper draws them.

Each block is an ``block`` x ``block`` square coloured with matplotlib's ``seismic`` map (blue =
negative effect, white = none, red = positive) after clipping CE to ``±bound`` dB and a signed power
``sign(x)|x|^(1/1.2)`` that lifts small effects. The squares are blended 90/10 with the degraded input
(upscaled to the output size for SR), the ROI is outlined, and a colour bar reads in dB.
"""

from __future__ import annotations

import io

import numpy as np

# Display bounds of the reference code, in dB.
BOUNDS = {"sr": 2.5, "dn": 1.0, "dr": 2.0}
GAMMA = 1.2
HEAT_WEIGHT = 0.9


def signed_power(values: np.ndarray, gamma: float = GAMMA) -> np.ndarray:
    """``sign(x) * |x| ** (1 / gamma)``.

    >>> signed_power(np.array([-8.0, 0.0, 1.0]), gamma=3).round(6).tolist()
    [-2.0, 0.0, 1.0]
    """
    return np.sign(values) * np.abs(values) ** (1.0 / gamma)


def block_colours(ce: np.ndarray, bound: float) -> np.ndarray:
    """RGB in [0, 1] per block ``[rows, cols, 3]``; ROI (NaN) blocks are white."""
    from matplotlib import colormaps

    scaled = signed_power(np.clip(np.nan_to_num(ce), -bound, bound)) / signed_power(np.array(bound))
    return colormaps["seismic"]((scaled + 1) / 2)[..., :3]


def render_cem(ce: np.ndarray, block: int, background: np.ndarray, roi: tuple[int, int, int],
               bound: float, title: str = "") -> bytes:
    """PNG bytes of the blended heatmap with the ROI outlined and a colour bar in dB.

    ``background`` is the degraded input at output size, ``uint8 [H, W, 3]``; ``roi`` is (x, y, size).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import FuncNorm
    from matplotlib.patches import Rectangle

    height, width = background.shape[:2]
    heat = np.repeat(np.repeat(block_colours(ce, bound), block, axis=0), block, axis=1)[:height, :width]
    blended = HEAT_WEIGHT * heat + (1 - HEAT_WEIGHT) * background.astype(np.float64) / 255.0

    figure, axis = plt.subplots(figsize=(5.2, 4.6 * height / width + 0.4), dpi=110)
    axis.imshow(blended, interpolation="nearest")
    x, y, size = roi
    axis.add_patch(Rectangle((x - 0.5, y - 0.5), size, size, fill=False, edgecolor="lime", linewidth=1.5))
    axis.set_axis_off()
    if title:
        axis.set_title(title, fontsize=8)
    norm = FuncNorm((signed_power, lambda v: np.sign(v) * np.abs(v) ** GAMMA), vmin=-bound, vmax=bound)
    mappable = plt.cm.ScalarMappable(norm=norm, cmap="seismic")
    bar = figure.colorbar(mappable, ax=axis, fraction=0.046, pad=0.03)
    bar.set_label("causal effect on ROI PSNR (dB)", fontsize=8)
    bar.set_ticks(np.linspace(-bound, bound, 5))
    bar.ax.tick_params(labelsize=7)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()

