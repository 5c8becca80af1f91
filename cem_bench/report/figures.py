"""Seaborn figures of the findings report, drawn from the suite's unit table (``cem_bench.analysis.findings.data``).

Deterministic as far as matplotlib allows: Agg backend, fixed sizes and dpi, no random jitter, no
``Software``/date metadata in the PNGs, intervals from the findings' own seeded cluster bootstrap over images
(none below 10 images: a mean alone).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from cem_bench.analysis.correlation import spearman
from cem_bench.analysis.findings import finding1, finding2, finding3
from cem_bench.analysis.findings.data import select
from cem_bench.analysis.findings.stats import NO_ESTIMATE, Estimate, estimate, paired_mean

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


def _yerr(est: Estimate) -> list[list[float]] | None:
    """Error-bar lengths of an estimate, None without an interval (fewer than 10 images)."""
    return [[est.value - est.low], [est.high - est.value]] if est.enough else None


def _errorbars(axis: Any, x: list[Estimate], y: list[Estimate]) -> None:
    """Grey 95% interval bars (over images) on both axes of one point per model, where there are intervals."""
    for ex, ey in zip(x, y):
        if ex.enough and ey.enough:
            axis.errorbar(ex.value, ey.value, xerr=_yerr(ex), yerr=_yerr(ey), fmt="none", ecolor="0.65", lw=0.8,
                          zorder=1)


def _di_panel(axis: Any, units: pd.DataFrame, column: str, label: str) -> None:
    import seaborn as sns

    names = finding1.models(units)
    rows = [(name, select(units, name, finding1.TASK)) for name in names]
    data = pd.DataFrame([{"model": name, column: frame[column].mean(), "psnr_gain": frame["psnr_gain"].mean()}
                         for name, frame in rows]).dropna() if rows else pd.DataFrame()
    if not len(data):
        empty(axis, f"no trained {finding1.TASK} model with {label}")
        return
    cis = [(estimate(frame, column), estimate(frame, "psnr_gain")) for name, frame in rows if name in set(data["model"])]
    _errorbars(axis, [c[0] for c in cis], [c[1] for c in cis])
    family = data["model"].map(lambda m: "zoo" if m.startswith(finding1.ZOO_PREFIX) else "published")
    sns.scatterplot(data=data.assign(family=family), x=column, y="psnr_gain", hue="family", style="family", s=40,
                    ax=axis, zorder=2)
    # labels alternate right / left of their point in gain order, so clustered models stay legible
    for index, row in enumerate(data.sort_values(["psnr_gain", "model"]).itertuples()):
        side = 1 if index % 2 == 0 else -1
        axis.annotate(row.model, (getattr(row, column), row.psnr_gain), xytext=(4 * side, 2),
                      textcoords="offset points", fontsize=5.5, color="0.25", ha="left" if side > 0 else "right")
    # rho within each family only: across families it mostly separates converged checkpoints from the zoo
    rhos = "; ".join(f"{name}: rho = {spearman(part[column], part['psnr_gain']).text()}"
                     for name, part in data.assign(family=family).groupby("family", sort=True))
    axis.set_title(f"{label} vs gain on {finding1.TASK} (a description)\n{rhos}\nbars: 95% interval over images",
                   fontsize=FONT)
    axis.set_xlabel(f"{label} (mean over units)")
    axis.set_ylabel("ROI PSNR gain (dB)")
    axis.legend(fontsize=6, title="models", title_fontsize=6, loc="best")


def _harm_panel(axis: Any, units: pd.DataFrame) -> None:
    names = [*finding1.models(units), finding1.NULL_OPERATOR]
    rates = [(name, estimate(select(units, name, finding1.TASK), "distant_harm")) for name in names]
    rates = [(name, est) for name, est in rates if est.n]
    if not rates:
        empty(axis, f"no {finding1.TASK} results")
        return
    for position, (name, est) in enumerate(rates):
        colour = "0.6" if name == finding1.NULL_OPERATOR else "#c44e52"
        axis.barh(position, est.value, color=colour, alpha=0.8)
        if est.enough:
            axis.errorbar(est.value, position, xerr=_yerr(est), fmt="none", ecolor="black", capsize=2, lw=0.8)
    axis.axvline(finding1.HARM_BOUND, color="0.2", lw=0.8, ls="--")
    axis.set_yticks(range(len(rates)), [name for name, _ in rates], fontsize=6)
    axis.set_xlim(0, 1)
    axis.set_xlabel(f"share of maps with a harmful block ≥ {finding1.DISTANT_PX} px away")
    axis.set_title(f"distant harm per model (grey: null operator; dashed: {finding1.HARM_BOUND:.2f})", fontsize=FONT)


def finding1_figure(units: pd.DataFrame, path: str | Path) -> Path:
    """Three panels: the distant-harm flag rate per model (the test's quantity), and DI (significant map) and
    LAM DI against gain, one point per trained model on the task, 95% interval bars over images."""
    with style() as plt:
        figure, axes = plt.subplots(1, 3, figsize=(15, 4.8), layout="constrained")
        _harm_panel(axes[0], units)
        _di_panel(axes[1], units, "sig_diffusion_index", "CEM DI (significant map)")
        _di_panel(axes[2], units, "lam_di", "LAM DI")
        return save(figure, path)


def _paired_panel(axis: Any, units: pd.DataFrame, pair: finding2.Pair, metric: str, label: str) -> None:
    import seaborn as sns

    members = [("no attention", pair.noca)] + [(finding2_role(pair, name), name) for name in finding2.members(units, pair)]
    frames = [select(units, model, pair.task).assign(position=i) for i, (_, model) in enumerate(members)]
    data = pd.concat(frames) if any(len(f) for f in frames) else pd.DataFrame()
    if not len(data):
        empty(axis, f"no results for the {pair.label} pair on {pair.task}")
        return
    # one line per (image, ROI) unit: pairs are read along a line, not across a cloud; a small fixed
    # sideways offset per unit keeps equal values (block counts) from hiding each other
    keys = sorted(set(data["unit"]))
    step = min(0.03, 0.3 / max(len(keys), 1))  # 117 standard units stay within ±0.15 of their position
    offset = {key: (i - (len(keys) - 1) / 2) * step for i, key in enumerate(keys)}
    data = data.assign(x=data["position"] + data["unit"].map(offset)).sort_values(["unit", "position"])
    sns.lineplot(data=data, x="x", y=metric, hue="unit", hue_order=keys, units="unit", estimator=None, marker="o",
                 markersize=4, lw=0.8, alpha=0.75, ax=axis, palette="colorblind")
    for position, (_, model) in enumerate(members):
        est = estimate(select(units, model, pair.task), metric)
        if est.n:
            axis.errorbar(position + 0.15, est.value, yerr=_yerr(est), fmt="D", color="black", ms=5, capsize=3, lw=1.2)
    axis.set_xticks(range(len(members)), [f"{name}\n{model}" for name, model in members], fontsize=6)
    axis.set_xlim(-0.4, len(members) - 0.6)
    axis.set_xlabel("")
    axis.set_ylabel(label)
    gain = metric == "psnr_gain"
    ca, noca = select(units, pair.ca, pair.task), select(units, pair.noca, pair.task)
    delta = Estimate.of(paired_mean(ca, noca, metric)) if len(ca) and len(noca) else NO_ESTIMATE
    text = delta.text(2, " dB") if gain else delta.text(1, " blocks")
    axis.set_title(f"{pair.label} ({pair.task}): {label}\npaired channel − no attention: {text}"
                   f" (n = {delta.n} images)", fontsize=FONT)
    if axis.get_legend():  # one line per (image, ROI) unit: far too many for a legend
        axis.get_legend().remove()


def finding2_role(pair: finding2.Pair, name: str) -> str:
    """An axis label for a family member: channel attention, or its name's variant."""
    return "channel attention" if name == pair.ca else name.removeprefix(pair.prefix)


def finding2_figure(units: pd.DataFrame, path: str | Path) -> Path:
    """2×2 paired plots: gain (top) and significant non-zero blocks (bottom) per unit for no attention, channel
    attention and every other family member, the denoising pair (left) beside the SR pair (right); diamonds are
    means with 95% intervals over images."""
    with style() as plt:
        figure, axes = plt.subplots(2, 2, figsize=(11, 7.5), layout="constrained")
        for column, pair in enumerate((finding2.DN, finding2.SR)):
            _paired_panel(axes[0, column], units, pair, "psnr_gain", "ROI PSNR gain (dB)")
            _paired_panel(axes[1, column], units, pair, "sig_nonzero", "significant non-zero blocks")
        return save(figure, path)


def _role_panel(axis: Any, units: pd.DataFrame, metric: str, label: str) -> bool:
    used = finding3.tasks(units)
    tasks = list(used)
    drawn = False
    for index, (task, single) in enumerate(used.items()):
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
            est = estimate(frame, metric)
            axis.errorbar(index + offset + 0.07, est.value, yerr=_yerr(est), fmt="D", color=ROLE_COLOURS[role],
                          mec="black", ms=5, capsize=3, lw=1.2, zorder=3)
    if not drawn:
        axis.clear()
        empty(axis, f"no results for {finding3.ALL} or its single-task models")
        return False
    labels = [f"{task}\n{single} | {finding3.ALL}" for task, single in used.items()]
    axis.set_xticks(range(len(tasks)), labels, fontsize=6)
    axis.set_xlim(-0.6, len(tasks) - 0.4)
    axis.set_ylabel(label)
    axis.set_title(f"{label}: single-task (left) vs all-in-one (right)", fontsize=FONT)
    return drawn


def finding3_figure(units: pd.DataFrame, path: str | Path) -> Path:
    """Per task, significant non-zero blocks and effect range of the single-task model and the all-in-one model,
    with a grey line joining each paired (image, ROI) unit."""
    from matplotlib.lines import Line2D

    with style() as plt:
        figure, axes = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
        drawn = _role_panel(axes[0], units, "sig_nonzero", "significant non-zero blocks")
        _role_panel(axes[1], units, "sig_effect_range", "effect range, significant map (dB)")
        handles = [Line2D([], [], marker="D", ls="", color=c, mec="black",
                          label=f"{r}: units, mean and 95% interval over images")
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
