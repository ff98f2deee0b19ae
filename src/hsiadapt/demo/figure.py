"""The demo's summary figure from its ``results.csv`` rows: per segmentation task and label
budget, every deep row (mean +- std over seeds, coloured by init) beside the per-pixel LDA
baselines (dashed: full spectra; dotted: S2 bands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hsiadapt._atomic import atomic_savefig

__all__ = ["results_figure"]

COLOURS = {"random": "#9e9e9e", "s2_prior": "#1f77b4", "hsi_prior": "#2ca02c",
           "pretrained": "#d62728"}


def results_figure(rows: list[dict[str, Any]], out: str | Path) -> Path | None:
    """Write ``out`` (PNG); ``None`` when there is no segmentation row to draw."""
    from hsiadapt.experiment.figures import _plt

    tasks = [t for t in dict.fromkeys(r["task"] for r in rows)
             if any(r["task"] == t and r["direction"] == "max" and r["init"] != "none"
                    for r in rows)]
    if not tasks:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.2 * len(tasks), 3.4), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        deep = [r for r in rows if r["task"] == task and r["init"] != "none"]
        for i, r in enumerate(deep):
            ax.bar(i, r["mean"], yerr=r["std"], color=COLOURS.get(r["init"], "#ff7f0e"),
                   capsize=2, width=0.75)
        for r in rows:
            if r["task"] == task and r["model"] == "lda":
                ax.axhline(r["mean"], color="k", lw=1,
                           ls="--" if r["adapter"] == "full" else ":",
                           label=f"LDA {'full spectra' if r['adapter'] == 'full' else 'S2 bands'}")
        ax.set_xticks(range(len(deep)),
                      [f"{r['adapter']}\n{r['init'].replace('_prior', '')}" for r in deep],
                      fontsize=7, rotation=60)
        lo = min(r["mean"] - r["std"] for r in deep)
        ax.set_ylim(max(0.0, lo - 0.08), 1.0)
        ax.set_title(f"{task} ({deep[0]['metric']})", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="lower left")
    inits = [i for i in COLOURS if any(r["init"] == i for r in rows)]
    handles = [plt.Rectangle((0, 0), 1, 1, color=COLOURS[i]) for i in inits]
    fig.legend(handles, inits, loc="upper center", ncol=len(inits), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_savefig(fig, out)
    plt.close(fig)
    return out
