"""Figures from the run folders (PNG and PDF, one colour per adaptation across all figures).

* ``predictions_<task>``: RGB from the HSI, ground truth, and per backbone entry the prediction
  of its best row (adapter with the best mean primary metric; its lowest seed), ignore regions
  grey - like the study's Figures 2-4;
* ``per_class_iou_<task>``: per-class test IoU per row (mean over its seeds, n in the legend,
  std as error bar);
* ``seed_spread``: the primary metric of every run, per task and row;
* ``spectral_map_<task>_<adapter>``: the selection / SRF map of the adapter of that name;
* ``hyperview_scatter_<task>``: predicted vs true per target and row (regression).

A row is what the table calls one: a backbone entry (its label) and an adapter name
(:mod:`.figure_groups` computes what each figure draws).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from hsiadapt._atomic import atomic_savefig
from hsiadapt.experiment import figure_groups as fg
from hsiadapt.experiment.record import RunRecord, collect_records
from hsiadapt.registry import Registry

__all__ = ["TASK_FIGURES", "make_figures"]

#: ``(plt, out, task, records, colors) -> files``: the figures of one task, by its task type
#: (a type without an entry gets the figures common to all: the seed spread, spectral maps)
TaskFigures = Callable[[Any, Path, str, list[RunRecord], dict[str, Any]], list[Path]]
TASK_FIGURES: Registry[TaskFigures] = Registry("task figures")


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.titlesize": 11, "figure.dpi": 110})
    return plt


def _save(fig, out: Path, name: str) -> list[Path]:
    paths = [out / f"{name}.png", out / f"{name}.pdf"]
    for p in paths:
        atomic_savefig(fig, p, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return paths


def _colors(adapters: list[str]) -> dict[str, Any]:
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    return {a: cmap(i % 10) for i, a in enumerate(sorted(adapters))}


def _class_names(m: RunRecord) -> list[str]:
    return [k.split("/", 1)[1] for k in m.test if k.startswith("iou/")]


def make_figures(runs_dir: str | Path, out: str | Path | None = None) -> list[Path]:
    """Write every figure that the runs allow; returns the files written."""
    plt = _plt()
    runs = [m for m in collect_records(runs_dir) if m.finished and not m.is_baseline]
    out = Path(out) if out is not None else Path(runs_dir) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if not runs:
        return written
    colors = _colors(list({m.adapter for m in runs}))
    by_task: dict[str, list[RunRecord]] = defaultdict(list)
    for m in runs:
        by_task[m.task].append(m)

    # seed spread -----------------------------------------------------------------------------
    tasks = sorted(by_task)
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 3.6), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        ms = by_task[task]
        metric, direction = ms[0].primary()
        groups = fg.rows(ms)
        for i, r in enumerate(groups):
            vals = r.values()
            jitter = np.linspace(-0.15, 0.15, len(vals)) if len(vals) > 1 else [0.0]
            ax.scatter(i + np.asarray(jitter), vals, color=colors[r.adapter], s=18, zorder=3)
            if vals:
                ax.hlines(np.mean(vals), i - 0.25, i + 0.25, color="k", lw=1.5)
        one_backbone = len({r.backbone for r in groups}) == 1
        ax.set_xticks(range(len(groups)),
                      [f"{r.label(one_backbone)}\n(n={len(r.values())})" for r in groups],
                      fontsize=8, rotation=0 if one_backbone else 30)
        ax.set_title(f"{task}: test {metric} ({'higher' if direction == 'max' else 'lower'} "
                     "is better)\ndots: runs (seeds); bar: their mean"
                     + (f"; {groups[0].backbone}" if one_backbone else ""), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    written += _save(fig, out, "seed_spread")

    for task, ms in by_task.items():
        if ms[0].task_type in TASK_FIGURES:  # the figures of this kind of task
            written += TASK_FIGURES.get(ms[0].task_type)(plt, out, task, ms, colors)
    written += _spectral_maps(out, runs)
    return written


def _per_class(plt, out: Path, task: str, ms: list[RunRecord], colors) -> list[Path]:
    names = _class_names(ms[0])
    if not names:
        return []
    bars = fg.class_bars(ms, names)
    one_backbone = len({b.row.backbone for b in bars}) == 1
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(names) * len(bars) / 2 + 3), 3.8))
    width = 0.8 / len(bars)
    for j, b in enumerate(bars):
        hatch = None if one_backbone else "//" if j % 2 else None
        ax.bar(np.arange(len(names)) + j * width, np.nan_to_num(b.mean), width, yerr=b.std,
               color=colors[b.row.adapter], label=f"{b.row.label(one_backbone)} (n={b.row.n})",
               capsize=2, hatch=hatch, edgecolor="k" if hatch else None)
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2, names, rotation=40, ha="right",
                  fontsize=8)
    ax.set_ylabel("test IoU")
    ax.set_ylim(0, 1)
    ax.set_title(class_bars_title(task, bars), fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, out, f"per_class_iou_{task}")


def class_bars_title(task: str, bars: list[fg.ClassBars]) -> str:
    """The per-class IoU figure's title: what a bar averages, over what n."""
    ns = sorted({b.row.n for b in bars})
    over = ("the one run of each row" if ns == [1] else
            "each row's seeds (n in the legend), error bar: their std")
    one = len({b.row.backbone for b in bars}) == 1
    return (f"{task}: per-class test IoU per " + ("adapter" if one else "backbone and adapter")
            + (f" ({bars[0].row.backbone})" if one else "") + f"\nbar: mean over {over}")


def panel_titles(task: str, shown: list[tuple[fg.Row, RunRecord]]) -> tuple[str, list[str]]:
    """The predictions figure's title and its prediction columns' titles."""
    metric = shown[0][1].primary()[0]
    cols = [f"{r.backbone}: {r.adapter}, seed {m.seed}\n(best row, mean {metric} "
            f"{np.mean(r.values()):.3f}, n={len(r.values())})" for r, m in shown]
    return (f"{task}: the best adapter per backbone (mean test {metric} over seeds), "
            "its lowest seed's prediction", cols)


@TASK_FIGURES.register("segmentation")
def _segmentation_figures(plt, out: Path, task: str, ms: list[RunRecord],
                          colors) -> list[Path]:
    """Per-class IoU bars and prediction panels."""
    return _per_class(plt, out, task, ms, colors) + _panels(plt, out, task, ms)


def _panels(plt, out: Path, task: str, ms: list[RunRecord]) -> list[Path]:
    shown, data = [], {}
    for r, m in fg.best_rows(ms):
        p = Path(m.path or ".") / "samples.npz"
        if p.is_file():
            with np.load(p, allow_pickle=False) as z:
                if "pred" in z.files:
                    data[(r.backbone, r.adapter)] = {k: z[k] for k in z.files}
                    shown.append((r, m))
    if not data:
        return []
    first = next(iter(data.values()))
    n = min(3, first["gt"].shape[0])
    n_cls = max(int(max(max(d["gt"].max(), d["pred"].max()) for d in data.values())) + 1, 2)
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from hsiadapt.experiment.predict import class_legend

    # the colours and names of the GeoTIFF colour table predict writes
    names = _class_names(ms[0]) or [f"class {k}" for k in range(n_cls)]
    names += [f"class {k}" for k in range(len(names), n_cls)]
    codes = ms[0].class_codes if ms[0].class_codes and len(ms[0].class_codes) == len(names) \
        else list(range(len(names)))
    legend = class_legend(names, codes)
    cmap = ListedColormap([tuple(v / 255 for v in rgb) for _c, _n, rgb in legend]).with_extremes(
        bad="0.6")
    n_cls = len(legend)
    title, col_titles = panel_titles(task, shown)
    cols = 2 + len(data)
    fig, axes = plt.subplots(n, cols, figsize=(2.4 * cols, 2.4 * n), squeeze=False)
    for i in range(n):
        rgb = first["rgb"][i]
        lo, hi = np.percentile(rgb, [2, 98])
        axes[i][0].imshow(np.clip((rgb - lo) / max(hi - lo, 1e-6), 0, 1))
        gt = first["gt"][i].astype(float)
        ignore = gt < 0
        gt[ignore] = np.nan
        axes[i][1].imshow(np.ma.masked_invalid(gt), cmap=cmap, vmin=0, vmax=n_cls - 1,
                          interpolation="nearest")
        for j, d in enumerate(data.values()):
            pr = d["pred"][i].astype(float)
            pr[ignore] = np.nan
            axes[i][2 + j].imshow(np.ma.masked_invalid(pr), cmap=cmap, vmin=0, vmax=n_cls - 1,
                                  interpolation="nearest")
            if i == 0:
                axes[0][2 + j].set_title(col_titles[j], fontsize=8)
        for ax in axes[i]:
            ax.axis("off")
    axes[0][0].set_title("RGB (from the HSI)", fontsize=9)
    axes[0][1].set_title("ground truth (grey: ignored)", fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    handles = [Patch(color=(rgb[0] / 255, rgb[1] / 255, rgb[2] / 255), label=f"{code} {name}")
               for code, name, rgb in legend] + [Patch(color="0.6", label="ignored / nodata")]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncol=min(len(handles), 4), fontsize=8, frameon=False, title="class (code, name)")
    return _save(fig, out, f"predictions_{task}")


@TASK_FIGURES.register("regression")
def _scatter(plt, out: Path, task: str, ms: list[RunRecord], colors) -> list[Path]:
    series: list[tuple[fg.Row, np.ndarray]] = []
    targets: list[str] = []
    groups = fg.rows(ms)
    one_backbone = len({g.backbone for g in groups}) == 1
    for row in groups:
        arrs = []
        for m in row.runs:
            p = Path(m.path or ".") / "predictions.csv"
            lines = list(csv.DictReader(p.open())) if p.is_file() else []
            if lines:
                targets = [k[5:] for k in lines[0] if k.startswith("true_")]
                arrs.append(np.array([[float(r[f"true_{t}"]) for t in targets]
                                      + [float(r[f"pred_{t}"]) for t in targets]
                                      for r in lines]))
        if arrs:
            series.append((row, np.concatenate(arrs)))
    if not series:
        return []
    markers = {b: "os^vDP*X"[i % 8] for i, b in enumerate(sorted({g.backbone for g in groups}))}
    fig, axes = plt.subplots(1, len(targets), figsize=(3.3 * len(targets), 3.3), squeeze=False)
    for k, t in enumerate(targets):
        ax = axes[0][k]
        for row, arr in series:
            ax.scatter(arr[:, k], arr[:, len(targets) + k], s=8, alpha=0.6,
                       color=colors[row.adapter], marker=markers[row.backbone],
                       label=f"{row.label(one_backbone)} (n={row.n})")
        lim = ax.get_xlim()
        ax.plot(lim, lim, "k--", lw=0.8)
        ax.set_xlabel(f"true {t}")
        ax.set_ylabel(f"predicted {t}")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"{task}: predicted vs true per test sample; each row's seeds pooled "
                 "(n runs in the legend)")
    fig.tight_layout()
    return _save(fig, out, f"hyperview_scatter_{task}")


def _spectral_maps(out: Path, runs: list[RunRecord]) -> list[Path]:
    from hsiadapt.adapters import build_adapter
    from hsiadapt.spectral.plot import plot_map

    written: list[Path] = []
    # named after the dataset (the task) and the adapter's name in the config
    for name, m in fg.spectral_map_runs(runs).items():
        try:
            adapter = build_adapter(m.input_mode, m.bands() or "", m.target, **m.adapter_args)
        except (ValueError, KeyError):
            continue
        smap = getattr(adapter, "map", None)  # fixed adapters that are a SpectralMap
        if smap is None:
            continue
        fig = plot_map(smap)
        args = ", ".join(f"{k}={v}" for k, v in sorted(m.adapter_args.items()))
        fig.suptitle(f"{m.task}: adapter {m.adapter!r} ({m.input_mode}"
                     + (f"; {args}" if args else "") + ")", fontsize=10)
        written += _save(fig, out, name)
    return written
