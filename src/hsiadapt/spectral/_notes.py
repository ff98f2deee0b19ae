"""Weak notes of :mod:`hsiadapt.spectral.sanity`: steps between neighbouring bands, and fill bands
that are not flagged. Both have causes other than the labels, so they never count as strong."""

from __future__ import annotations

import numpy as np

from hsiadapt.spectral._absorption import Evidence, fill_bands
from hsiadapt.spectral._finding import SanityFinding

#: Where real spectra (radiance or reflectance) step steeply by nature, so a jump there says
#: nothing about the labels: the Ca II H and K solar lines, the red edge of vegetation with the
#: O2-B and 720 nm water bands, the O2-A band, the 940 and 1130 nm water bands, the deep windows
#: with their edges, the 2010/2060 nm CO2 bands and the dark, noisy end of the SWIR.
STEEP_NM: tuple[tuple[float, float], ...] = (
    (385.0, 400.0),
    (680.0, 750.0),
    (755.0, 775.0),
    (890.0, 990.0),
    (1090.0, 1170.0),
    (1310.0, 1500.0),
    (1760.0, 2000.0),
    (1995.0, 2085.0),
    (2330.0, 2600.0),
)


_JUMP_CAUSES = (
    "Possible causes: an absorption line or edge of the surface or atmosphere, a fill or "
    "interpolated band, low signal at the sensor's first/last bands, or wavelength labels that "
    "do not match the data order"
)



def jumps(
    c: np.ndarray, mu: np.ndarray, ev: Evidence, jump_ratio: float, max_gap_nm: float
) -> list[SanityFinding]:
    order = np.flatnonzero(ev.measured)
    order = order[np.argsort(c[order], kind="stable")]
    if order.size < 4:
        return []
    cs, ms = c[order], mu[order]
    scale = np.maximum(ms[:-1], ms[1:])
    rel = np.abs(np.diff(ms)) / scale
    keep = (np.diff(cs) <= max_gap_nm) & (rel > jump_ratio)
    for lo, hi in STEEP_NM:
        near = (cs >= lo) & (cs <= hi)
        keep &= ~(near[:-1] | near[1:])
    low = ms < 0.1 * np.median(ms)  # low signal: deep absorption, sensor ends
    keep &= ~(low[:-1] | low[1:])
    ends = np.zeros(cs.size, bool)
    ends[:3] = ends[-3:] = True  # the first/last bands of a sensor are often dark and noisy
    keep &= ~(ends[:-1] | ends[1:])
    for j in (int(x) for x in np.flatnonzero(keep)):  # a narrow line returns to its level
        before, after = float(ms[max(j - 1, 0)]), float(ms[min(j + 3, ms.size - 1)])
        if abs(after - before) / max(before, after) < jump_ratio / 2:
            keep[j] = False
    jumps = np.flatnonzero(keep)
    if jumps.size == 0:
        return []
    pairs = [(int(order[j]), int(order[j + 1])) for j in jumps]
    top = int(jumps[np.argmax(rel[jumps])])
    return [
        SanityFinding(
            kind="jump",
            bands=tuple(i for p in pairs for i in p),
            wavelengths_nm=tuple(float(c[i]) for p in pairs for i in p),
            value=float(rel[jumps].max()),
            message=(
                f"{jumps.size} step(s) of more than {100 * jump_ratio:.0f}% between bands whose "
                f"labels are <= {max_gap_nm:.0f} nm apart (largest {100 * rel[top]:.0f}% at "
                f"{cs[top]:.0f}-{cs[top + 1]:.0f} nm). An isolated step is weak evidence. "
                + _JUMP_CAUSES
            ),
        )
    ]


def fill(c: np.ndarray, mu: np.ndarray, valid: np.ndarray) -> list[SanityFinding]:
    constant, interpolated = fill_bands(c, mu)
    fill = np.flatnonzero(valid & (constant | interpolated))
    if fill.size == 0:
        return []
    what = (
        "constant"
        if not interpolated[fill].any()
        else ("linearly interpolated" if not constant[fill].any() else "constant or interpolated")
    )
    return [
        SanityFinding(
            kind="fill-band",
            bands=tuple(int(i) for i in fill),
            wavelengths_nm=tuple(float(c[i]) for i in fill),
            value=float(fill.size),
            message=(
                f"{fill.size} band(s) labelled {c[fill].min():.0f}-{c[fill].max():.0f} nm hold "
                f"{what} values, not measurements, but are not flagged bad; they are left out of "
                "this check. Flag them as bad bands (bbl) so models ignore them too"
            ),
        )
    ]
