"""Figures of spectral maps (matplotlib, imported lazily; Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hsiadapt._atomic import atomic_savefig
from hsiadapt.spectral.band import BandSet
from hsiadapt.spectral.resampling import INTEGRATIONS, SpectralMap, build_map
from hsiadapt.spectral.response import response_matrix

__all__ = ["plot_integrations", "plot_map"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_map(m: SpectralMap, path: str | Path | None = None):
    """Target responses over the source band centres (top) and the weight matrix (bottom).

    Returns the figure; writes it to ``path`` when given.
    """
    plt = _plt()
    fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(11, 7.5), gridspec_kw={"height_ratios": [1, 1.2]})
    c = m.source.centers
    lo = min(c.min(), *(b.center_nm for b in m.requested)) - 60
    hi = max(c.max(), *(b.center_nm for b in m.requested)) + 60
    grid = np.arange(lo - 300, hi + 300, 1.0)
    try:
        phi = response_matrix(m.requested, grid)
    except ValueError:
        phi = None
    if phi is not None:  # the axis spans every target band's whole response (B12 to ~2320 nm)
        seen = grid[(phi > 1e-3 * phi.max(axis=1, keepdims=True)).any(axis=0)]
        if seen.size:
            lo, hi = min(lo, seen.min() - 20), max(hi, seen.max() + 20)
    colors = plt.get_cmap("tab20")(np.linspace(0, 1, max(len(m.requested), 2)))
    if phi is not None:
        for k, b in enumerate(m.requested):
            style = "--" if b.name in m.filled else "-"
            ax0.plot(grid, phi[k], style, color=colors[k], lw=1.2, label=b.label or b.name)
    ax0.vlines(c[m.source.valid], 0, 0.08, color="k", lw=0.5, label="source band centres")
    if (~m.source.valid).any():
        ax0.vlines(c[~m.source.valid], 0, 0.08, color="r", lw=0.8, label="bad source bands")
    ax0.set_xlim(lo, hi)
    ax0.set_ylim(0, 1.05)
    ax0.set_xlabel("wavelength (nm)")
    ax0.set_ylabel("relative response")
    ax0.set_title(
        f"{m.source.name} ({len(m.source)} bands) -> {m.requested.name}: {m.method}"
        + (f", {m.integration}" if m.integration else "")
        + f", coverage={m.coverage}"
    )
    # beside the axes, never over the curves
    ax0.legend(ncol=1 + len(m.requested) // 14, fontsize=7, loc="upper left",
               bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    im = ax1.imshow(m.matrix.T, aspect="auto", interpolation="nearest", cmap="viridis")
    ax1.set_yticks(range(len(m.target)), [b.label or b.name for b in m.target], fontsize=8)
    step = max(1, len(m.source) // 20)
    ax1.set_xticks(
        range(0, len(m.source), step),
        [f"{c[j]:.0f}" for j in range(0, len(m.source), step)],
        rotation=90,
        fontsize=7,
    )
    ax1.set_xlabel("source band (centre, nm)")
    ax1.set_title("weights W[j, k] (columns sum to 1)" if m.method != "select" else "selection")
    fig.colorbar(im, ax=ax1, fraction=0.03)
    fig.tight_layout()
    if path is not None:
        atomic_savefig(fig, path, dpi=130, bbox_inches="tight")
    return fig


def plot_integrations(
    src: BandSet, dst: BandSet, path: str | Path | None = None, coverage: str = "drop"
):
    """The three SRF integration schemes side by side: per target band, its weights over the
    source band centres, one line per scheme. Returns the figure."""
    plt = _plt()
    maps = {
        i: build_map(src, dst, "srf", integration=i, coverage=coverage)  # type: ignore[arg-type]
        for i in INTEGRATIONS
    }
    target = maps["point"].target
    n = len(target)
    ncols = 4
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(13, 2.6 * nrows), squeeze=False)
    c = src.centers
    order = np.argsort(c)
    for k, b in enumerate(target):
        ax = axes[k // ncols][k % ncols]
        for i, m in maps.items():
            w = m.matrix[:, k]
            nz = np.flatnonzero(w[order] > 1e-9)
            if nz.size == 0:
                continue
            sl = order[max(nz[0] - 2, 0) : nz[-1] + 3]
            ax.plot(c[sl], w[sl], marker=".", lw=1, label=i)
        ax.set_title(f"{b.label or b.name} ({b.center_nm:.0f} nm)", fontsize=9)
        ax.tick_params(labelsize=7)
        if k == 0:
            ax.legend(fontsize=7)
    for k in range(n, nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    fig.suptitle(f"SRF weights {src.name} -> {dst.name}: point vs boxcar vs gaussian", fontsize=11)
    fig.supxlabel("source band centre (nm)", fontsize=9)
    fig.supylabel("weight", fontsize=9)
    fig.tight_layout()
    if path is not None:
        atomic_savefig(fig, path, dpi=130)
    return fig
