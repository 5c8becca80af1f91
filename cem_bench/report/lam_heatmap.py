"""LAM figures drawn the way the LAM reference draws them, beside CEM's.

The normalised attribution ``|A| / max|A|`` in [0, 1] is coloured with the upper (white -> red) half
of matplotlib's ``seismic`` map, so "no attribution" is white as in CEM heatmaps; each input pixel
becomes a ``scale`` x ``scale`` square at output size. Two panels: the heatmap alone, and the heatmap
blended 50/50 with the input upscaled bicubically (the reference's blend); the window is outlined in
both and a colour bar reads the normalised attribution.
"""

from __future__ import annotations

import io

import numpy as np

BLEND_WEIGHT = 0.5  # the LAM reference blends heatmap and input half and half


def attribution_colours(attribution: np.ndarray) -> np.ndarray:
    """RGB in [0, 1] ``[h, w, 3]`` for a map in [0, 1]: 0 -> seismic's (near-)white centre, 1 -> dark red.

    >>> attribution_colours(np.array([[0.0, 1.0]])).round(3).tolist()
    [[[1.0, 0.992, 0.992], [0.5, 0.0, 0.0]]]
    """
    from matplotlib import colormaps

    return colormaps["seismic"](0.5 + 0.5 * np.clip(attribution, 0.0, 1.0))[..., :3]


def render_lam(attribution: np.ndarray, scale: int, background: np.ndarray, window: tuple[int, int, int],
               title: str = "") -> bytes:
    """PNG bytes: heatmap and blend side by side, window outlined, colour bar.

    ``attribution`` is ``[h, w]`` in [0, 1] on the input grid; ``background`` is the input upscaled
    to the output size, ``uint8 [H, W, 3]`` with ``H = h * scale``; ``window`` is (x, y, size).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.colors import ListedColormap, Normalize
    from matplotlib.patches import Rectangle

    height, width = background.shape[:2]
    heat = np.repeat(np.repeat(attribution_colours(attribution), scale, axis=0), scale, axis=1)[:height, :width]
    blended = (1 - BLEND_WEIGHT) * heat + BLEND_WEIGHT * background.astype(np.float64) / 255.0
    figure, axes = plt.subplots(1, 2, figsize=(9.0, 4.4 * height / width + 0.5), dpi=110)
    x, y, size = window
    for axis, image, label in ((axes[0], heat, "attribution"), (axes[1], blended, "blend with input")):
        axis.imshow(image, interpolation="nearest")
        axis.add_patch(Rectangle((x - 0.5, y - 0.5), size, size, fill=False, edgecolor="lime", linewidth=1.5))
        axis.set_axis_off()
        axis.set_title(label, fontsize=8)
    if title:
        figure.suptitle(title, fontsize=9)
    upper = ListedColormap(colormaps["seismic"](np.linspace(0.5, 1.0, 256)))
    mappable = plt.cm.ScalarMappable(norm=Normalize(0.0, 1.0), cmap=upper)
    bar = figure.colorbar(mappable, ax=list(axes), fraction=0.025, pad=0.02)
    bar.set_label("|attribution| / max", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()
