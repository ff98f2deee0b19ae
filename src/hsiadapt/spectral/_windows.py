"""Window findings of :mod:`hsiadapt.spectral.sanity`: the deep water-vapour absorption displaced
from where the labels put it (strong), or bright bands inside a window without displaced
absorption nearby (weak)."""

from __future__ import annotations

import numpy as np

from hsiadapt.spectral._absorption import Displacement, Evidence, dark_blocks
from hsiadapt.spectral._finding import SanityFinding

#: Deep atmospheric water-vapour absorption windows (nm) and a clean reference range for each.
WATER_WINDOWS_NM: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = (
    ((1350.0, 1420.0), (1550.0, 1750.0)),
    ((1800.0, 1960.0), (1550.0, 1750.0)),
)

_EDGE_NM = 15.0  # bands this close to a window's boundary may be on its sloping edge

_BRIGHT_CAUSES = (
    "Possible causes: the edge of a water-vapour window (its depth depends on the water column), "
    "a fill or interpolated band, spectra measured without an atmosphere (lab or field library), "
    "or wavelength labels that do not match the data order"
)


def strong(
    c: np.ndarray, shifts: list[Displacement | None], findings: list[SanityFinding]
) -> set[int]:
    """Append strong findings; return the indices of the windows they explain."""
    found = [d for d in shifts if d is not None and d.shift_nm is not None]
    same_way = (
        len(found) == 2
        and all(abs(d.shift_nm or 0) >= 15 for d in found)
        and np.sign(found[0].shift_nm or 0) == np.sign(found[1].shift_nm or 0)
        and abs((found[0].shift_nm or 0) - (found[1].shift_nm or 0)) <= 20
        and abs(np.mean([d.shift_nm or 0 for d in found])) >= 20
    )
    explained: set[int] = set()
    if same_way:
        s = float(np.mean([d.shift_nm or 0 for d in found]))
        idx = tuple(sorted({i for d in found for i in d.bright_core}))
        findings.append(
            SanityFinding(
                kind="displaced-absorption",
                bands=idx,
                wavelengths_nm=tuple(float(c[i]) for i in idx),
                value=-s,
                severity="strong",
                message=(
                    "both deep water-vapour windows sit away from where the labels put them: the "
                    f"data's absorption matches 1350-1420 and 1810-1950 nm best with every label moved "
                    f"by about {s:+.0f} nm ({found[0].shift_nm:+.0f} and {found[1].shift_nm:+.0f} nm). "
                    f"The wavelength table is probably shifted by about {-s:+.0f} nm; check that it "
                    "belongs to these data (sensor, processing version, smile/keystone correction)"
                ),
            )
        )
        return {0, 1}
    for k, d in enumerate(shifts):
        if d is None or d.shift_nm is None or len(d.bright_core) < 2 or abs(d.shift_nm) < 10:
            continue
        _, lo, hi, _ = d.window
        b = np.asarray(d.bright_core)
        explained.add(k)
        findings.append(_bright_core_finding(
            c, b, lo, hi, -d.shift_nm,
            "a deep absorption of that window's shape sits where the labels say "
            f"{lo - d.shift_nm:.0f}-{hi - d.shift_nm:.0f} nm (about {-d.shift_nm:+.0f} nm away). "
            "The labels do not match the data there: a shifted table, or a block of bands reversed "
            "or swapped"))
    return explained


def misplaced(
    c: np.ndarray,
    ev: Evidence,
    shifts: list[Displacement | None],
    done: set[int],
    findings: list[SanityFinding],
) -> set[int]:
    """Bright, smooth bands fill a window's core while deep absorption sits at clean labels
    (farther than a shift explains: a reversed or swapped block)."""
    blocks = dark_blocks(c, ev)
    if not blocks:
        return set()
    where = ", ".join(f"{c[b].min():.0f}-{c[b].max():.0f}" for b in blocks[:4])
    explained: set[int] = set()
    for k, d in enumerate(shifts):
        if k in done or d is None or len(d.bright_core) < 3:
            continue
        _, lo, hi, _ = d.window
        b = np.asarray(d.bright_core)
        explained.add(k)
        findings.append(_bright_core_finding(
            c, b, lo, hi, float("nan"),
            f"bands labelled {where} nm, where the atmosphere is clear, are as dark as an "
            "absorption window. The labels do not match the data order there: a block of bands "
            "reversed or swapped (e.g. one detector stored the other way round), or a wrong table"))
    return explained


def _bright_core_finding(c: np.ndarray, b: np.ndarray, lo: float, hi: float, value: float,
                         evidence: str) -> SanityFinding:
    """A strong finding: bright, smooth measured bands in a window's core, and why."""
    return SanityFinding(
        kind="displaced-absorption", bands=tuple(int(i) for i in b),
        wavelengths_nm=tuple(float(c[i]) for i in b), value=value, severity="strong",
        message=(f"{b.size} measured band(s) labelled {c[b].min():.0f}-{c[b].max():.0f} nm lie in "
                 f"the core of the deep water-vapour window {lo:.0f}-{hi:.0f} nm but are bright "
                 f"and smooth, while {evidence}"))


def _edge_explained(c: np.ndarray, ev_dark: np.ndarray, i: int, lo: float, hi: float) -> bool:
    """Whether a bright band near a window boundary is on the sloping edge of the window."""
    if c[i] - lo <= _EDGE_NM:
        inward = (c > c[i]) & (c <= c[i] + 30.0)
    elif hi - c[i] <= _EDGE_NM:
        inward = (c < c[i]) & (c >= c[i] - 30.0)
    else:
        return False
    if not inward.any():
        return True  # nothing measured further in: the product stops at the edge
    d = ev_dark[inward]
    return bool((~np.isfinite(d)).any() or (d > ev_dark[i] + 0.2).any())


def bright_bands(
    c: np.ndarray,
    mu: np.ndarray,
    ev: Evidence,
    strong: set[int],
    bright_ratio: float,
    smooth: float,
) -> list[SanityFinding]:
    out: list[SanityFinding] = []
    for k, ((lo, hi), (rlo, rhi)) in enumerate(WATER_WINDOWS_NM):
        if k in strong:
            continue
        ref = ev.measured & (c >= rlo) & (c <= rhi)
        inside = np.flatnonzero(ev.measured & (c >= lo) & (c <= hi))
        if not ref.any() or inside.size == 0:
            continue
        level = float(np.median(mu[ref]))
        bright = np.array(
            [
                i
                for i in inside
                if mu[i] > bright_ratio * level
                and ev.rough[i] < smooth
                and not _edge_explained(c, ev.darkness, int(i), lo, hi)
            ],
            dtype=int,
        )
        if bright.size == 0:
            continue
        r = float(np.median(mu[bright]) / level)
        out.append(
            SanityFinding(
                kind="bright-water-band",
                bands=tuple(int(i) for i in bright),
                wavelengths_nm=tuple(float(c[i]) for i in bright),
                value=r,
                message=(
                    f"{bright.size} band(s) labelled {c[bright].min():.0f}-{c[bright].max():.0f} nm "
                    f"lie in the deep water-vapour window {lo:.0f}-{hi:.0f} nm but are {100 * r:.0f}% "
                    f"as bright as the clean {rlo:.0f}-{rhi:.0f} nm range and smooth with their "
                    "neighbours, and no displaced absorption was found nearby. " + _BRIGHT_CAUSES
                ),
            )
        )
    return out

