"""Seaborn figures of the findings report, drawn from the suite's unit table (``cem_bench.analysis.findings.data``).

Deterministic as far as matplotlib allows: Agg backend, fixed sizes and dpi, no random jitter, no
``Software``/date metadata in the PNGs, intervals from the findings' own seeded bootstrap.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from cem_bench.analysis.findings import finding1, finding2, finding3
from cem_bench.analysis.findings.data import select
from cem_bench.analysis.findings.stats import Estimate, bootstrap_mean, pooled_rank_correlation

DPI = 120
FONT = 8
PNG_METADATA = {"Software": None}  # matplotlib otherwise stamps its version into every PNG
ROLE_COLOURS = {"single": "#4c72b0", "all": "#dd8452"}


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (no display; same output everywhere)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@contextmanager
def style() -> Iterator[Any]:
    """Seaborn's white-grid style at a small font, scoped: the caller's rcParams are left alone."""
    import seaborn as sns

    plt = pyplot()
    with sns.axes_style("whitegrid"), sns.plotting_context("paper", rc={"font.size": FONT}):
        yield plt


def save(figure: Any, path: str | Path) -> Path:
    """Write ``figure`` as a PNG at :data:`DPI` without volatile metadata, and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, format="png", metadata=PNG_METADATA)
    pyplot().close(figure)
    return path


def empty(axis: Any, message: str) -> None:
    """A panel that says which data is missing instead of a blank."""
    axis.text(0.5, 0.5, message, ha="center", va="center", wrap=True, fontsize=FONT, transform=axis.transAxes)
    axis.set_xticks([])
    axis.set_yticks([])


def _errorbars(axis: Any, x: list[Estimate], y: list[Estimate]) -> None:
    """Grey 95% CI bars (over units) on both axes of one point per model."""
    for ex, ey in zip(x, y):
        if ex.defined and ey.defined:
            axis.errorbar(ex.value, ey.value, xerr=[[ex.value - ex.low], [ex.high - ex.value]],
                          yerr=[[ey.value - ey.low], [ey.high - ey.value]], fmt="none", ecolor="0.65", lw=0.8,
                          zorder=1)


def _di_panel(axis: Any, units: pd.DataFrame, means: pd.DataFrame, column: str, label: str) -> None:
    import seaborn as sns

    data = means.dropna(subset=[column, "psnr_gain"])
    if not len(data):
        empty(axis, f"no trained SR model with {label}")
        return
    sr = finding1.sr_units(units)
    shown = set(zip(data["task"], data["model"]))
    cis = [(bootstrap_mean(group[column]), bootstrap_mean(group["psnr_gain"]))
           for key, group in sr.groupby(["task", "model"], sort=True) if key in shown]
    _errorbars(axis, [c[0] for c in cis], [c[1] for c in cis])
    sns.scatterplot(data=data, x=column, y="psnr_gain", hue="task", style="task", s=40, ax=axis, zorder=2)
    # labels alternate right / left of their point in gain order, so clustered models stay legible
    for index, row in enumerate(data.sort_values(["psnr_gain", "model"]).itertuples()):
        side = 1 if index % 2 == 0 else -1
        axis.annotate(row.model, (getattr(row, column), row.psnr_gain), xytext=(4 * side, 2),
                      textcoords="offset points", fontsize=5.5, color="0.25", ha="left" if side > 0 else "right")
    rho = pooled_rank_correlation(data, column, "psnr_gain")
    axis.set_title(f"{label} vs gain: rho = {rho.text()} over {rho.n} (task, model) points\n"
                   "bars: 95% CI over each model's units",
                   fontsize=FONT)
    axis.set_xlabel(f"{label} (mean over units)")
    axis.set_ylabel("ROI PSNR gain (dB)")
    axis.legend(fontsize=6, title="task", title_fontsize=6, loc="best")


def finding1_figure(units: pd.DataFrame, path: str | Path) -> Path:
    """Three panels: CEM DI vs gain, LAM DI vs gain (one point per trained SR model and task, 95% CI
    bars over units), and the distribution of the negative fraction over their units."""
    import seaborn as sns

    with style() as plt:
        figure, axes = plt.subplots(1, 3, figsize=(14, 4.4), layout="constrained")
        means = finding1.model_means(units)
        _di_panel(axes[0], units, means, "diffusion_index", "CEM DI")
        _di_panel(axes[1], units, means, "lam_di", "LAM DI")
        data = finding1.sr_units(units).dropna(subset=["negative_fraction"])
        if len(data):
            sns.histplot(data=data, x="negative_fraction", hue="task", multiple="stack", bins=np.linspace(0, 1, 11),
                         ax=axes[2])
            overall = bootstrap_mean(data["negative_fraction"])
            axes[2].axvspan(overall.low, overall.high, color="0.5", alpha=0.2, lw=0)
            axes[2].axvline(overall.value, color="0.2", lw=1)
            axes[2].set_title(f"negative fraction over units: mean {overall.text(3)}", fontsize=FONT)
            axes[2].set_xlabel("negative / non-zero blocks per unit")
            axes[2].set_ylabel("units")
            sns.move_legend(axes[2], "upper right", fontsize=6, title="task", title_fontsize=6)
        else:
            empty(axes[2], "no trained SR units with a defined negative fraction")
        return save(figure, path)


def _paired_panel(axis: Any, units: pd.DataFrame, pair: finding2.Pair, metric: str, label: str) -> None:
    import seaborn as sns

    members = [("no attention", pair.noca), ("channel attention", pair.ca), ("8×8-window attention", pair.win8)]
    frames = [select(units, model, pair.task).assign(position=i) for i, (_, model) in enumerate(members)]
    data = pd.concat(frames) if any(len(f) for f in frames) else pd.DataFrame()
    if not len(data):
        empty(axis, f"no results for the {pair.label} pair on {pair.task}")
        return
    # one line per (image, ROI) unit: pairs are read along a line, not across a cloud; a small fixed
    # sideways offset per unit keeps equal values (block counts) from hiding each other
    keys = sorted(set(data["unit"]))
    offset = {key: (i - (len(keys) - 1) / 2) * 0.03 for i, key in enumerate(keys)}
    data = data.assign(x=data["position"] + data["unit"].map(offset)).sort_values(["unit", "position"])
    sns.lineplot(data=data, x="x", y=metric, hue="unit", hue_order=keys, units="unit", estimator=None, marker="o",
                 markersize=4, lw=0.8, alpha=0.75, ax=axis, palette="colorblind")
    for position, (_, model) in enumerate(members):
        estimate = bootstrap_mean(select(units, model, pair.task)[metric])
        if estimate.defined:
            axis.errorbar(position + 0.15, estimate.value, yerr=[[estimate.value - estimate.low],
                          [estimate.high - estimate.value]], fmt="D", color="black", ms=5, capsize=3, lw=1.2)
    axis.set_xticks(range(len(members)), [f"{name}\n{model}" for name, model in members], fontsize=6)
    axis.set_xlim(-0.4, len(members) - 0.6)
    axis.set_xlabel("")
    axis.set_ylabel(label)
    gain = metric == "psnr_gain"
    delta = finding2.compare(units, pair, "ca")["gain" if gain else metric]
    text = delta.text(2, " dB") if gain else delta.text(1, " blocks")
    axis.set_title(f"{pair.label} ({pair.task}): {label}\npaired channel − no attention: {text}"
                   f" (n = {delta.n})", fontsize=FONT)
    axis.legend(fontsize=6, title="(image, ROI); ◆ mean, 95% CI", title_fontsize=6, loc="best")


def finding2_figure(units: pd.DataFrame, path: str | Path) -> Path:
    """2×2 paired plots: gain (top) and non-zero blocks (bottom) per unit for no / channel / window
    attention, the denoising pair (left) beside the SR pair (right)."""
    with style() as plt:
        figure, axes = plt.subplots(2, 2, figsize=(11, 7.5), layout="constrained")
        for column, pair in enumerate((finding2.DN, finding2.SR)):
            _paired_panel(axes[0, column], units, pair, "psnr_gain", "ROI PSNR gain (dB)")
            _paired_panel(axes[1, column], units, pair, "nonzero", "non-zero blocks")
        return save(figure, path)


def _role_panel(axis: Any, units: pd.DataFrame, metric: str, label: str) -> bool:
    tasks = list(finding3.SINGLE)
    drawn = False
    for index, (task, single) in enumerate(finding3.SINGLE.items()):
        a, b = select(units, single, task), select(units, finding3.ALL, task)
        merged = a[["unit", metric]].merge(b[["unit", metric]], on="unit", suffixes=("_single", "_all"))
        for row in merged.itertuples():  # grey line per paired unit
            axis.plot([index - 0.2, index + 0.2], [getattr(row, f"{metric}_single"), getattr(row, f"{metric}_all")],
                      color="0.7", lw=0.8, zorder=1)
        for offset, (role, frame) in ((-0.2, ("single", a)), (0.2, ("all", b))):
            if not len(frame):
                axis.text(index + offset, 0.02, "missing", rotation=90, fontsize=6, ha="center", va="bottom",
                          transform=axis.get_xaxis_transform())
                continue
            drawn = True
            axis.scatter(np.full(len(frame), index + offset), frame[metric], s=14, color=ROLE_COLOURS[role],
                         alpha=0.6, zorder=2)
            estimate = bootstrap_mean(frame[metric])
            axis.errorbar(index + offset + 0.07, estimate.value, yerr=[[estimate.value - estimate.low],
                          [estimate.high - estimate.value]], fmt="D", color=ROLE_COLOURS[role], mec="black", ms=5,
                          capsize=3, lw=1.2, zorder=3)
    if not drawn:
        axis.clear()
        empty(axis, f"no results for {finding3.ALL} or its single-task models")
        return False
    labels = [f"{task}\n{single} | {finding3.ALL}" for task, single in finding3.SINGLE.items()]
    axis.set_xticks(range(len(tasks)), labels, fontsize=6)
    axis.set_xlim(-0.6, len(tasks) - 0.4)
    axis.set_ylabel(label)
    axis.set_title(f"{label}: single-task (left) vs all-in-one (right)", fontsize=FONT)
    return drawn


def finding3_figure(units: pd.DataFrame, path: str | Path) -> Path:
    """Per task, non-zero blocks and effect range of the single-task model and the all-in-one model, with
    a grey line joining each paired (image, ROI) unit."""
    from matplotlib.lines import Line2D

    with style() as plt:
        figure, axes = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
        drawn = _role_panel(axes[0], units, "nonzero", "non-zero blocks")
        _role_panel(axes[1], units, "effect_range", "effect range (dB)")
        handles = [Line2D([], [], marker="D", ls="", color=c, mec="black", label=f"{r}: units, mean and 95% CI")
                   for r, c in ROLE_COLOURS.items()]
        handles.append(Line2D([], [], color="0.7", label="one (image, ROI) unit, paired"))
        if drawn:
            figure.legend(handles=handles, loc="outside upper center", ncols=3, fontsize=7, frameon=False)
        return save(figure, path)


FIGURES: dict[str, Callable[[pd.DataFrame, str | Path], Path]] = {
    "finding1.png": finding1_figure, "finding2.png": finding2_figure, "finding3.png": finding3_figure,
}


def draw_findings(units: pd.DataFrame, folder: str | Path) -> dict[int, str]:
    """Write the three findings' figures into ``folder``; ``{finding number: file name}``."""
    return {number: save_as for number, (save_as, draw) in enumerate(FIGURES.items(), start=1)
            if draw(units, Path(folder) / save_as)}
