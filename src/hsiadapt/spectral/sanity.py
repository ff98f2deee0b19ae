"""Spectral sanity check: does a mean spectrum agree with its wavelength labels?

Two physical facts make mislabelled or mis-ordered band tables visible in real data:

* in the deep water-vapour windows (about 1350-1420 nm and 1800-1960 nm) the atmosphere absorbs
  nearly all sunlight, so retrieved surface reflectance there is dark or noisy (real EnMAP L2A
  shows spikes and steep slopes at 1939-1968 nm) - a band labelled inside a window whose mean is
  as bright as the clean SWIR window *and* smooth with its neighbours is probably not at that
  wavelength;
* reflectance varies smoothly with wavelength, so sorting bands by their labels should give a
  smooth spectrum; large jumps between labels a few nm apart mean the labels and the data order
  disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hsiadapt.spectral.band import BandSet, SpectralError

__all__ = ["WATER_WINDOWS_NM", "SanityFinding", "spectral_sanity"]

#: Deep atmospheric water-vapour absorption windows (nm) and a clean reference range for each.
WATER_WINDOWS_NM: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = (
    ((1350.0, 1420.0), (1550.0, 1750.0)),
    ((1800.0, 1960.0), (1550.0, 1750.0)),
)


@dataclass(frozen=True)
class SanityFinding:
    """One suspicious feature of a spectrum against its labels."""

    kind: str  # "bright-water-band" or "jump"
    bands: tuple[int, ...]
    wavelengths_nm: tuple[float, ...]
    value: float
    message: str


def spectral_sanity(
    bands: BandSet,
    mean_spectrum: np.ndarray,
    *,
    bright_ratio: float = 0.5,
    smooth: float = 0.05,
    jump_ratio: float = 0.2,
    max_gap_nm: float = 15.0,
) -> list[SanityFinding]:
    """Check a mean spectrum (one value per band, data order) against the band labels.

    Args:
        bands: the band table (labels) in data order.
        mean_spectrum: mean value per band (any positive reflectance-like scale).
        bright_ratio: flag water-window bands brighter than this share of the clean reference
            whose relative second difference with their label neighbours is below ``smooth``.
        jump_ratio: flag relative jumps larger than this between label-adjacent bands.
        max_gap_nm: only bands at most this far apart (by label) count as adjacent.

    Returns:
        Findings (empty when nothing looks wrong).
    """
    mu = np.asarray(mean_spectrum, dtype=np.float64).ravel()
    bands.check_data(mu.size, "mean spectrum")
    c = bands.centers
    ok = bands.valid & np.isfinite(mu)
    findings: list[SanityFinding] = []
    for (lo, hi), (rlo, rhi) in WATER_WINDOWS_NM:
        inside = np.flatnonzero(ok & (c >= lo) & (c <= hi))
        ref = np.flatnonzero(ok & (c >= rlo) & (c <= rhi))
        if inside.size == 0 or ref.size == 0:
            continue
        level = float(np.median(mu[ref]))
        if level <= 0:
            continue
        ratios = mu[inside] / level
        sorted_ok = np.argsort(c)
        sorted_ok = sorted_ok[ok[sorted_ok]]
        pos = {int(b): k for k, b in enumerate(sorted_ok)}
        rough = np.full(inside.size, np.inf)
        for n, i in enumerate(inside):
            k = pos[int(i)]
            if 0 < k < sorted_ok.size - 1 and mu[i] > 0:
                a, b = mu[sorted_ok[k - 1]], mu[sorted_ok[k + 1]]
                rough[n] = abs(a - 2 * mu[i] + b) / mu[i]
        bright = inside[(ratios > bright_ratio) & (rough < smooth)]
        if bright.size:
            r = float(np.median(mu[bright]) / level)
            findings.append(SanityFinding(
                kind="bright-water-band",
                bands=tuple(int(i) for i in bright),
                wavelengths_nm=tuple(float(c[i]) for i in bright),
                value=r,
                message=(
                    f"{bright.size} band(s) labelled {c[bright].min():.0f}-{c[bright].max():.0f} nm"
                    f" lie in the deep water-vapour window {lo:.0f}-{hi:.0f} nm but are "
                    f"{100 * r:.0f}% as bright as the clean {rlo:.0f}-{rhi:.0f} nm range and smooth "
                    "with their neighbours; real surface reflectance is dark or noisy there. The "
                    "wavelength labels are probably shifted (these data are from another "
                    "wavelength)"
                ),
            ))
    order = np.argsort(c)
    order = order[ok[order]]
    cs, ms = c[order], mu[order]
    scale = np.maximum(np.abs(ms[:-1]), np.abs(ms[1:]))
    rel = np.abs(np.diff(ms)) / np.where(scale > 0, scale, 1)
    adjacent = np.diff(cs) <= max_gap_nm
    for lo, hi in (w for w, _ in WATER_WINDOWS_NM):  # noise is expected inside the windows
        adjacent &= ~((cs[:-1] >= lo) & (cs[:-1] <= hi) | (cs[1:] >= lo) & (cs[1:] <= hi))
    jumps = np.flatnonzero(adjacent & (rel > jump_ratio))
    if jumps.size:
        pairs = [(int(order[j]), int(order[j + 1])) for j in jumps]
        findings.append(SanityFinding(
            kind="jump",
            bands=tuple(i for p in pairs for i in p),
            wavelengths_nm=tuple(float(c[i]) for p in pairs for i in p),
            value=float(rel[jumps].max()),
            message=(
                f"{jumps.size} jump(s) of more than {100 * jump_ratio:.0f}% between bands whose "
                f"labels are <= {max_gap_nm:.0f} nm apart (largest {100 * rel[jumps].max():.0f}% "
                f"at {cs[jumps[0]]:.0f}-{cs[jumps[0] + 1]:.0f} nm): labels and data order may "
                "disagree"
            ),
        ))
    if mu.size and not np.isfinite(mu[bands.valid]).all():
        raise SpectralError("mean spectrum has non-finite values in valid bands")
    return findings
