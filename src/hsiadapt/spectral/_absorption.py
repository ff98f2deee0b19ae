"""Evidence for :mod:`hsiadapt.spectral.sanity`: fill bands, darkness, and where absorption sits.

Everything works on a mean spectrum (one value per band, data order) and its band centres (nm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Deep water-vapour windows as trapezoids (nm): absorption starts at ``a``, is (nearly) total
#: from ``b`` to ``c`` and ends at ``d``. Real radiance is near zero from about 1350 to 1420 nm
#: and 1810 to 1950 nm, with sloping edges whose width depends on the water column.
WINDOW_SHAPES_NM: tuple[tuple[float, float, float, float], ...] = (
    (1320.0, 1350.0, 1420.0, 1450.0),
    (1780.0, 1810.0, 1950.0, 1980.0),
)

#: Core darkness (share of the local continuum that is missing) that counts as "absorbed".
DEEP = 0.9
#: Largest label error searched (nm).
MAX_SHIFT_NM = 100.0


def neighbour_residual(c: np.ndarray, mu: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Relative distance of each ``use`` band from the line through its label neighbours.

    Returns ``inf`` for bands without two ``use`` neighbours (and for bands not in ``use``).
    """
    out = np.full(c.size, np.inf)
    idx = np.flatnonzero(use)
    idx = idx[np.argsort(c[idx], kind="stable")]
    if idx.size < 3:
        return out
    cs, ms = c[idx], mu[idx]
    line = ms[:-2] + (ms[2:] - ms[:-2]) * (cs[1:-1] - cs[:-2]) / (cs[2:] - cs[:-2])
    scale = np.maximum(np.abs(ms[1:-1]), 1e-12)
    out[idx[1:-1]] = np.abs(ms[1:-1] - line) / scale
    return out


def fill_bands(c: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bands that hold no measurement: ``(constant, interpolated)`` masks.

    ``constant``: non-finite, or part of a run of label-adjacent bands with one identical value
    (EMIT writes -0.01, AVIRIS products 0). ``interpolated``: three or more bands in a row lying
    exactly (1e-5) on the line through their neighbours, the run spanning at least 50 nm (a
    product's linear fill across a gap; a field spectrometer's 1 nm resampling makes shorter
    straight runs).
    """
    finite = np.isfinite(mu)
    order = np.argsort(c, kind="stable")
    ms, cs = mu[order], c[order]
    same = np.zeros(c.size, bool)
    eq = np.diff(ms) == 0
    same[:-1] |= eq
    same[1:] |= eq
    constant = np.empty(c.size, bool)
    constant[order] = same
    constant |= ~finite
    hit = (neighbour_residual(c, mu, ~constant) <= 1e-5)[order]
    run = np.zeros(c.size, bool)
    for k, j in true_runs(hit):
        if j - k >= 2 and cs[min(j + 1, cs.size - 1)] - cs[max(k - 1, 0)] >= 50.0:
            run[order[k : j + 1]] = True
    return constant, run


def true_runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(first, last)`` index of every run of consecutive ``True`` values."""
    out = []
    k = 0
    while k < flags.size:
        if not flags[k]:
            k += 1
            continue
        j = k
        while j + 1 < flags.size and flags[j + 1]:
            j += 1
        out.append((k, j))
        k = j + 1
    return out


@dataclass(frozen=True)
class Evidence:
    """Per-band evidence in data order."""

    measured: np.ndarray  # valid, finite, positive, not fill: values that say something
    darkness: np.ndarray  # 1 - value / local continuum in [0, 1]; NaN = no evidence
    rough: np.ndarray  # relative distance from the line through the label neighbours
    #: virtual bands standing in for bands removed in a gap (``None``: there are none). They
    #: say the absorption lies somewhere in the gap, not exactly where (see
    #: :func:`displacement`).
    virtual: np.ndarray | None = None


def evidence(c: np.ndarray, mu: np.ndarray, valid: np.ndarray) -> Evidence:
    """Darkness per band: flagged, constant-fill and non-positive bands count as absorbed (1);
    interpolated fill and bright spikes count as no evidence (NaN)."""
    constant, interpolated = fill_bands(c, mu)
    with np.errstate(invalid="ignore"):
        positive = mu > 0
    measured = valid & positive & ~constant & ~interpolated
    rough = neighbour_residual(c, mu, measured)
    darkness = np.full(c.size, np.nan)
    darkness[~valid | constant | (np.isfinite(mu) & ~positive & ~interpolated)] = 1.0
    idx = np.flatnonzero(measured)
    idx = idx[np.argsort(c[idx], kind="stable")]
    peak = np.zeros(c.size, bool)  # brighter than both label neighbours
    if idx.size >= 3:
        m = mu[idx]
        peak[idx[1:-1]] = (m[1:-1] > m[:-2]) & (m[1:-1] > m[2:])
    for i in idx:
        near = measured & (np.abs(c - c[i]) <= 150.0)
        d = 1.0 - mu[i] / mu[near].max()
        spike = peak[i] and rough[i] > 0.2  # a bright spike is noise (EnMAP L2A at 1939 nm)
        darkness[i] = np.nan if spike and d < DEEP else d
    return Evidence(measured, darkness, rough)


def _trapezoid(x: np.ndarray, shape: tuple[float, float, float, float]) -> np.ndarray:
    a, b, c, d = shape
    return np.clip(np.minimum((x - a) / (b - a), (d - x) / (d - c)), 0.0, 1.0)


@dataclass(frozen=True)
class Displacement:
    """Where one window's absorption sits in the data, by the labels."""

    window: tuple[float, float, float, float]
    core_darkness: float  # mean darkness of the bands labelled inside the core
    bright_core: tuple[int, ...]  # measured bands labelled inside the core that are bright
    shift_nm: float | None  # labels + shift_nm puts the absorption where it belongs; None: none
    shifted_darkness: float  # core darkness after that shift


#: How much darker (share of the continuum) a measured band just outside a shifted window must
#: be than any band just outside the labelled one for the shift to be refuted (see
#: :func:`displacement`). Real cubes here differ by at most 0.1 between the two.
EDGE_CONTRADICTION = 0.25


def _fits(
    c: np.ndarray, ev: Evidence, shape: tuple[float, float, float, float]
) -> dict[float, tuple[float, float]]:
    """Shift -> (score, core darkness) for the shifts that make the core deep (see
    :func:`displacement`)."""
    a, b, cc, d = shape
    dark = ev.darkness
    region = np.isfinite(dark) & (c >= a - MAX_SHIFT_NM - 50) & (c <= d + MAX_SHIFT_NM + 50)
    out: dict[float, tuple[float, float]] = {}
    for s in np.arange(-MAX_SHIFT_NM, MAX_SHIFT_NM + 1.0, 1.0):
        x = c[region] + s
        in_core = dark[region][(x >= b) & (x <= cc)]
        if in_core.size < 2:
            continue
        deep = float(in_core.mean())
        if (in_core >= DEEP).sum() < 2 or deep < 0.75:  # edges may fill a sparse core
            continue
        t = _trapezoid(x, shape)
        if t.std() == 0 or dark[region].std() == 0:
            continue
        out[float(s)] = (float(np.corrcoef(t, dark[region])[0, 1]), deep)
    return out


def _outside_darkness(c: np.ndarray, ev: Evidence, shape: tuple[float, ...], s: float) -> float:
    """The darkest measured band within 50 nm outside the window moved by ``s`` (0: none)."""
    a, _, _, d = shape
    x = c + s
    near = ev.measured & (((x < a) & (x >= a - 50.0)) | ((x > d) & (x <= d + 50.0)))
    dark = np.nan_to_num(ev.darkness[near], nan=0.0)
    return float(dark.max()) if dark.size else 0.0


def _gap_centred(c: np.ndarray, ev: Evidence, shape: tuple[float, ...], s: float,
                 bright: np.ndarray) -> bool:
    """Whether shift ``s`` only centres the window in a gap of removed bands, refuted by a
    measured band on the edge it leaves out, while the labels' own window has no bright core."""
    if ev.virtual is None or s == 0 or bright.size:
        return False
    return _outside_darkness(c, ev, shape, s) - _outside_darkness(c, ev, shape, 0.0) \
        >= EDGE_CONTRADICTION


def displacement(
    c: np.ndarray, ev: Evidence, shape: tuple[float, float, float, float]
) -> Displacement | None:
    """Compare one window's expected absorption with the data, at label shifts up to 100 nm.

    The shift is the one that best correlates the darkness with the window's trapezoid among
    the shifts that make the core deep: two or more bands darker than ``DEEP`` and a mean
    darkness of at least 0.75 (a sparse table like EnMAP's has few bands in the core, and the
    edges' depth depends on the water column). ``None`` when fewer than two
    bands with evidence are labelled inside the core.

    A gap of removed bands (virtual bands, :attr:`Evidence.virtual`) says the absorption lies
    somewhere in it, not exactly where: a producer's gap is often wider on one side of the
    window (Hyperion's Botswana table keeps no band from 1336 to 1488 nm nor from 1790 to
    2022 nm), and the fit then centres the window in the gap. Such a shift is not taken (the
    labels' own position, shift 0, is) when a measured band within 50 nm outside the shifted
    window is :data:`EDGE_CONTRADICTION` darker than every band within 50 nm outside the
    labelled one - it lies on the edge the shift leaves out - and no measured band in the
    labelled core is bright.
    """
    _, b, cc, _ = shape
    ok = np.isfinite(ev.darkness)
    core = ok & (c >= b) & (c <= cc)
    if core.sum() < 2:
        return None
    dark = ev.darkness
    bright = np.flatnonzero(core & ev.measured & (dark < 0.5))
    fits = _fits(c, ev, shape)
    best = min(fits, key=lambda s: (-round(fits[s][0], 9), abs(s)), default=None)
    if best is not None and 0.0 in fits and _gap_centred(c, ev, shape, best, bright):
        best = 0.0
    if best is not None and abs(best) >= MAX_SHIFT_NM:
        best = None  # the best fit lies at the search limit: no optimum, no evidence
    return Displacement(
        window=shape,
        core_darkness=float(dark[core].mean()),
        bright_core=tuple(int(i) for i in bright),
        shift_nm=best,
        shifted_darkness=float("nan") if best is None else fits[best][1],
    )


def dark_blocks(c: np.ndarray, ev: Evidence, min_bands: int = 3) -> list[np.ndarray]:
    """Runs of at least ``min_bands`` label-adjacent deep-dark bands (measured, flagged or fill)
    lying wholly outside the windows (with 30 nm margins) and away from the sensor's first/last
    three bands and 30 nm: absorption where the labels say there is none."""
    order = np.argsort(c, kind="stable")
    cs = c[order]
    dark = np.nan_to_num(ev.darkness[order], nan=0.0) >= DEEP
    dark[:3] = dark[-3:] = False
    dark &= (cs > cs[0] + 30.0) & (cs < cs[-1] - 30.0)  # the sensor's dark, noisy ends
    inside = np.zeros(c.size, bool)
    for a, _, _, d in WINDOW_SHAPES_NM:
        inside |= (cs >= a - 30.0) & (cs <= d + 30.0)
    out: list[np.ndarray] = []
    for k, j in true_runs(dark):
        # the run including its neighbours must not touch a window (AVIRIS products blank
        # whole detector ends next to a window)
        lo, hi = max(k - 1, 0), min(j + 1, dark.size - 1)
        if j - k + 1 >= min_bands and not inside[lo : hi + 1].any():
            out.append(order[k : j + 1])
    return out
