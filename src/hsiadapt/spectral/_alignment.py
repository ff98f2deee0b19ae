"""Does the band table line up with what the spectrum shows? Evidence beyond the windows' depth.

* Gaps in a table at the deep water-vapour windows are bands a producer or user removed there
  because they saw absorption: :func:`with_gap_bands` adds them back as absorbed virtual bands, so
  a shifted table of a cube without its water bands shows its displaced windows.
* In imagery (seen through the atmosphere) measured bands labelled inside *both* window cores
  cannot be bright: :func:`absent_absorption` says so strongly and names the usual cause (the
  first N channels of a longer table given to a cube whose bands were removed, or centres spread
  evenly over a range).
* At-sensor spectra show the O2-A band (760.5 nm): :func:`o2a_dip` finds it, and
  :func:`displaced_o2a` reports a table that puts it elsewhere.
"""

from __future__ import annotations

import numpy as np

from hsiadapt.spectral._absorption import DEEP, WINDOW_SHAPES_NM, Evidence
from hsiadapt.spectral._finding import SanityFinding

#: Centre of the O2-A absorption band (nm) as hyperspectral sensors of 5-10 nm FWHM see it.
O2A_NM = 761.0
#: Share of the local continuum missing at the O2-A band from which a spectrum is at-sensor
#: (radiance or top-of-atmosphere). Real radiance here: 0.35-0.63 (AVIRIS-NG, AVIRIS-3, PRISM);
#: surface-reflectance products keep at most 0.13 of it (EMIT, EnMAP, AVIRIS, CASI, Cubert).
O2A_AT_SENSOR = 0.25
#: A table whose O2-A band sits this far (nm) from :data:`O2A_NM` is wrong: the band is about
#: 10 nm wide and sensors' calibration errors are a few nm.
O2A_TOLERANCE_NM = 12.0
_GAP_FACTOR = 2.5  # a spacing this many times the median is a gap (removed bands)


def with_gap_bands(c: np.ndarray, ev: Evidence) -> tuple[np.ndarray, Evidence]:
    """Centres and evidence with absorbed virtual bands appended in the table's gaps near the
    deep windows (within 100 nm of a window's edges) where the cube keeps no deep-dark band of
    that window (measured, flagged or fill): the gap then stands in for the absorption that was
    removed with the bands. Real bands keep their indices.

    Only for hyperspectral tables (20 bands or more, median spacing at most 20 nm): a
    multispectral table's gaps are its design, not removed bands.
    """
    s = np.sort(c)
    if s.size < 20:
        return c, ev
    d = np.diff(s)
    step = float(np.median(d))
    if step <= 0 or step > 20.0:
        return c, ev
    extra: list[float] = []
    deep = np.nan_to_num(ev.darkness, nan=0.0) >= DEEP
    for i in np.flatnonzero(d > _GAP_FACTOR * step):
        lo, hi = float(s[i]), float(s[i + 1])
        for a, _, _, z in WINDOW_SHAPES_NM:
            near = (c >= a - 100.0) & (c <= z + 100.0)
            if hi > a - 100.0 and lo < z + 100.0 and not (deep & near).any():
                extra += np.arange(lo + step, hi - step / 2, step).tolist()
                break
    if not extra:
        return c, ev
    n = len(extra)
    return np.concatenate([c, extra]), Evidence(
        measured=np.concatenate([ev.measured, np.zeros(n, bool)]),
        darkness=np.concatenate([ev.darkness, np.ones(n)]),
        rough=np.concatenate([ev.rough, np.full(n, np.inf)]),
        virtual=np.concatenate([np.zeros(c.size, bool), np.ones(n, bool)]),
    )


def _bright_core(c: np.ndarray, ev: Evidence, shape: tuple[float, ...]) -> np.ndarray | None:
    """Measured bands labelled in a window's core that are not deep-dark, when they are two or
    more, half the core's bands with evidence or more, and the core's median darkness is under
    0.75; ``None`` otherwise. (With correct labels an image's core is dark, flagged or filled:
    median darkness 0.96-1.0 in the real cubes here.)"""
    _, b, cc, _ = shape
    core = (c >= b) & (c <= cc) & np.isfinite(ev.darkness)
    lit = core & ev.measured & (ev.darkness < DEEP)
    if lit.sum() < 2 or 2 * lit.sum() < core.sum() or np.median(ev.darkness[core]) >= 0.75:
        return None
    return np.flatnonzero(lit)


def absent_absorption(c: np.ndarray, ev: Evidence) -> SanityFinding | None:
    """A strong finding when measured bands that are not dark are labelled in the cores of both
    deep windows (for imagery: there the atmosphere leaves next to no light), with the likely
    cause."""
    found = [_bright_core(c, ev, w) for w in WINDOW_SHAPES_NM]
    if any(b is None for b in found):
        return None
    idx = np.concatenate([b for b in found if b is not None])
    where = " and ".join(f"{c[b].min():.0f}-{c[b].max():.0f}" for b in found if b is not None)
    cause, error = _table_diagnosis(c)
    return SanityFinding(
        kind="absent-absorption", bands=tuple(int(i) for i in idx),
        wavelengths_nm=tuple(float(c[i]) for i in idx), value=error, severity="strong",
        message=(
            f"{idx.size} measured bands labelled {where} nm lie in the cores of the deep "
            "water-vapour windows (1350-1420, 1810-1950 nm), where the atmosphere leaves next to "
            "no light, yet they are not dark: they were measured elsewhere. "
            f"{cause}. (Spectra measured without an atmosphere, in a lab, look like this too: "
            "then the finding does not apply.)"))


def _table_diagnosis(c: np.ndarray) -> tuple[str, float]:
    """The likely cause of a table without its windows, and the largest label error it implies
    (nm; NaN when unknown)."""
    s = np.sort(c)
    d = np.diff(s)
    step = float(np.median(d))
    n = s.size
    tail = ("bands removed from the cube (the water-vapour bands, as for Indian Pines, Salinas or "
            "Jasper Ridge) were not removed from the table, so every band after the first "
            "removed one is labelled too short")
    if s[-1] < 2450.0:
        full = n + round((2500.0 - s[-1]) / step)
        err = (full - n) * step
        return (f"The table ends at {s[-1]:.0f} nm and has no gap at the windows: it looks like "
                f"the first {n} channels of a {full}-channel table: {tail} (by up to about "
                f"{err:.0f} nm here). Remove the same channels from the table as from the cube"), err
    if d.size and np.ptp(d) <= 0.02 * step:
        return (f"The {n} centres are spaced exactly evenly ({step:.2f} nm from {s[0]:.0f} to "
                f"{s[-1]:.0f} nm), as if spread over a range rather than read from the sensor's "
                "calibration, and have no gap at the windows. Use the sensor's own table for the "
                "bands the cube keeps"), float("nan")
    return (f"The table has no gap at the windows. Perhaps {tail}. Remove the same channels "
            "from the table as from the cube"), float("nan")


def o2a_dip(c: np.ndarray, mu: np.ndarray, measured: np.ndarray) -> tuple[float, float] | None:
    """The deepest narrow absorption labelled 690-840 nm: ``(depth, label_nm)``, depth being the
    share missing from the dimmer of the brightest bands 6-25 nm to either side (so the foot
    of the red edge, bright on one side only, is no dip). ``None``
    without enough measured bands there (a sensor that does not reach 760 nm)."""
    idx = np.flatnonzero(measured)
    idx = idx[np.argsort(c[idx], kind="stable")]
    cs, ms = c[idx], mu[idx]
    best: tuple[float, float] | None = None
    for i in np.flatnonzero((cs >= 690.0) & (cs <= 840.0)):
        left = (cs >= cs[i] - 25.0) & (cs <= cs[i] - 6.0)
        right = (cs >= cs[i] + 6.0) & (cs <= cs[i] + 25.0)
        if not left.any() or not right.any():
            continue
        jl = np.flatnonzero(left)[np.argmax(ms[left])]
        jr = np.flatnonzero(right)[np.argmax(ms[right])]
        if min(ms[jl], ms[jr]) <= 0:
            continue
        depth = float(1.0 - ms[i] / min(ms[jl], ms[jr]))  # narrow: darker than both sides
        if best is None or depth > best[0]:
            best = (depth, float(cs[i]))
    return best


def displaced_o2a(c: np.ndarray, mu: np.ndarray, ev: Evidence) -> SanityFinding | None:
    """A strong finding when an at-sensor spectrum's O2-A band sits away from 761 nm."""
    dip = o2a_dip(c, mu, ev.measured)
    if dip is None or dip[0] < O2A_AT_SENSOR or abs(dip[1] - O2A_NM) < O2A_TOLERANCE_NM:
        return None
    depth, at = dip
    err = at - O2A_NM
    i = int(np.argmin(np.where(ev.measured, np.abs(c - at), np.inf)))
    return SanityFinding(
        kind="displaced-o2a", bands=(i,), wavelengths_nm=(float(c[i]),), value=err,
        severity="strong",
        message=(f"the oxygen A band (761 nm, {100 * depth:.0f}% deep here: an at-sensor "
                 f"spectrum) sits at the band labelled {at:.0f} nm: the wavelength table looks "
                 f"shifted by about {err:+.0f} nm. Check that the table belongs to these data "
                 "(sensor, processing version, bands removed from the cube but not the table)"))


#: Red-edge position (nm, the centroid of the rise's slope) of the real vegetated scenes and
#: libraries here: 700-735; a table moving it this far from :data:`RED_EDGE_NM` is suspicious.
RED_EDGE_NM = 715.0
RED_EDGE_ALONE_NM = 40.0  # alone, a red edge this far off is strong evidence


def red_edge(c: np.ndarray, mu: np.ndarray, measured: np.ndarray) -> float | None:
    """The label (nm) of the vegetation red edge: the slope-weighted centre of the steepest rise
    labelled 600-850 nm, where the part above half the steepest slope counts. ``None`` without
    a clear edge (the plateau under 1.5x the red well's level: little vegetation)."""
    idx = np.flatnonzero(measured & (c >= 560.0) & (c <= 900.0))
    if idx.size < 8:
        return None
    idx = idx[np.argsort(c[idx], kind="stable")]
    x = np.arange(600.0, 850.0, 2.0)
    y = np.interp(x, c[idx], mu[idx])
    k = np.ones(5) / 5  # 10 nm smoothing: one noisy band makes no edge
    g = np.convolve(np.gradient(y, x), k, mode="same")
    j = int(np.argmax(g[2:-2])) + 2
    lo, hi = j, j
    while lo > 0 and g[lo - 1] > 0.5 * g[j]:
        lo -= 1
    while hi < g.size - 1 and g[hi + 1] > 0.5 * g[j]:
        hi += 1
    well = float(np.min(y[max(0, lo - 20) : lo + 1]))
    plateau = float(np.max(y[hi : hi + 30]))
    if well <= 0 or plateau < 1.5 * well:
        return None
    w = g[lo : hi + 1]
    return float(np.sum(x[lo : hi + 1] * w) / np.sum(w))


def red_edge_shift(c: np.ndarray, mu: np.ndarray, ev: Evidence) -> float | None:
    """Label error (nm) the red edge suggests, or ``None`` without a clear red edge."""
    rep = red_edge(c, mu, ev.measured)
    return None if rep is None else rep - RED_EDGE_NM


def displaced_red_edge(
    c: np.ndarray, mu: np.ndarray, ev: Evidence, window_errors: list[float]
) -> SanityFinding | None:
    """A strong finding when a surface spectrum's red edge sits 40 nm or more from 715 nm, or
    20 nm or more and a deep window's absorption is displaced the same way (within 20 nm).

    ``window_errors``: label errors (nm) the windows suggest on their own (may be empty).
    """
    off = red_edge_shift(c, mu, ev)
    if off is None or abs(off) < 20.0:
        return None
    agree = [w for w in window_errors if np.sign(w) == np.sign(off) and abs(w - off) <= 20.0]
    if abs(off) < RED_EDGE_ALONE_NM and not agree:
        return None
    err = float(np.mean([off, *agree]))
    near = np.flatnonzero(ev.measured & (np.abs(c - (RED_EDGE_NM + off)) <= 20.0))
    also = (f"; the water-vapour absorption near {'1380' if len(agree) else ''} nm is displaced "
            f"the same way ({', '.join(f'{w:+.0f}' for w in agree)} nm)") if agree else ""
    also = also.replace("near  nm", "near the windows")
    return SanityFinding(
        kind="displaced-absorption", bands=tuple(int(i) for i in near),
        wavelengths_nm=tuple(float(c[i]) for i in near), value=err, severity="strong",
        message=(f"the red edge of vegetation (at {RED_EDGE_NM - 15:.0f}-{RED_EDGE_NM + 20:.0f} "
                 f"nm in real scenes) sits at {RED_EDGE_NM + off:.0f} nm by the labels{also}: "
                 f"the wavelength table looks shifted by about {err:+.0f} nm. Check that it "
                 "belongs to these data (sensor, processing version, bands removed from the "
                 "cube but not from the table)"))
