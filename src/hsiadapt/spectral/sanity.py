"""Spectral sanity check: does a mean spectrum agree with its wavelength labels?

Physical facts that make mislabelled or mis-ordered band tables visible in real data:

* in the deep water-vapour windows (about 1350-1420 nm and 1800-1960 nm) the atmosphere absorbs
  nearly all sunlight: at-sensor radiance is near zero there, and reflectance products leave the
  bands dark, noisy, filled (EMIT writes -0.01, AVIRIS products 0) or flagged bad;
* spectra vary smoothly with wavelength away from absorption lines.

Many things other than wrong labels make a spectrum look odd, so findings come in two strengths:

* ``"strong"``: the absorption is displaced from where the labels put it. Bright, smooth,
  measured bands sit in a window's core while a deep absorption of the window's shape sits
  nearby, or both windows' absorption is best matched with the labels moved the same way. The
  displacement is estimated by correlating the data's darkness with the expected absorption
  at label shifts up to 100 nm.
* ``"weak"``: bright bands in a window without displaced absorption (a fill or interpolated
  band, spectra measured without an atmosphere, an unusual product, or labels), jumps between
  neighbouring bands (narrow absorption lines, low signal at the sensor's ends, fill bands, or
  labels), and unflagged fill bands. Their messages list the possible causes.

Bad-band flags (``bands.valid``) and fill values never count as measured brightness; window
edges, whose depth depends on the water column, are not held against the labels; the comparison
is with the local continuum, so radiance (with its steep solar slope) works as well as
reflectance.

Limits: the check is meant for mean spectra of imagery, which saw the atmosphere. A single lab
spectrum of snow, ice or liquid water has deep surface absorptions near the windows and can look
like a displaced window. A table shifted by less than about 30 nm (40-60 nm for EnMAP, whose
table skips 1391-1461 and 1760-1939 nm) hides inside the windows' edges and the producers'
bad-band margins, and a sensor without SWIR bands has no deep window to test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from hsiadapt.spectral._absorption import (
    WINDOW_SHAPES_NM,
    Displacement,
    Evidence,
    dark_blocks,
    displacement,
    evidence,
    fill_bands,
)
from hsiadapt.spectral.band import BandSet, SpectralError

__all__ = ["STEEP_NM", "WATER_WINDOWS_NM", "SanityFinding", "Severity", "spectral_sanity"]

#: Deep atmospheric water-vapour absorption windows (nm) and a clean reference range for each.
WATER_WINDOWS_NM: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = (
    ((1350.0, 1420.0), (1550.0, 1750.0)),
    ((1800.0, 1960.0), (1550.0, 1750.0)),
)

#: How strongly a finding points at the labels.
Severity = Literal["strong", "weak"]

_EDGE_NM = 15.0  # bands this close to a window's boundary may be on its sloping edge
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

_BRIGHT_CAUSES = (
    "Possible causes: the edge of a water-vapour window (its depth depends on the water column), "
    "a fill or interpolated band, spectra measured without an atmosphere (lab or field library), "
    "or wavelength labels that do not match the data order"
)
_JUMP_CAUSES = (
    "Possible causes: an absorption line or edge of the surface or atmosphere, a fill or "
    "interpolated band, low signal at the sensor's first/last bands, or wavelength labels that "
    "do not match the data order"
)


@dataclass(frozen=True)
class SanityFinding:
    """One suspicious feature of a spectrum against its labels.

    ``kind`` is ``"displaced-absorption"``, ``"bright-water-band"``, ``"jump"`` or
    ``"fill-band"``; ``severity`` says whether the evidence points at the labels (``"strong"``)
    or fits other causes too (``"weak"``, the message lists them). ``value``: for
    ``displaced-absorption`` the estimated label error in nm (labels minus true wavelengths; NaN
    when no single shift explains it), for ``bright-water-band`` the brightness relative to the
    clean reference, for ``jump`` the largest relative step, for ``fill-band`` the band count.
    """

    kind: str
    bands: tuple[int, ...]
    wavelengths_nm: tuple[float, ...]
    value: float
    message: str
    severity: Severity = "weak"


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
        bands: the band table (labels) in data order; bad bands (``valid`` False) are evidence
            of where the product saw absorption, never of brightness.
        mean_spectrum: mean value per band (reflectance or radiance, any scale).
        bright_ratio: flag (weakly) measured water-window bands brighter than this share of the
            clean reference whose relative distance from the line through their label
            neighbours is below ``smooth``.
        jump_ratio: flag (weakly) relative steps larger than this between label-adjacent bands.
        max_gap_nm: only bands at most this far apart (by label) count as adjacent.

    Returns:
        Findings, strong ones first (empty when nothing looks wrong).

    Raises:
        SpectralError: the spectrum's length differs from the table, or a valid band's mean is
            not finite.
    """
    mu = np.asarray(mean_spectrum, dtype=np.float64).ravel()
    bands.check_data(mu.size, "mean spectrum")
    valid = bands.valid
    if not np.isfinite(mu[valid]).all():
        bad = np.flatnonzero(valid & ~np.isfinite(mu))
        raise SpectralError(
            f"mean spectrum has non-finite values in valid bands {bad.tolist()[:10]}; flag them "
            "as bad bands or compute the mean over finite pixels"
        )
    c = bands.centers
    ev = evidence(c, mu, valid)
    findings: list[SanityFinding] = []
    shifts = [displacement(c, ev, w) for w in WINDOW_SHAPES_NM]
    strong_windows = _strong(c, shifts, findings)
    strong_windows |= _misplaced(c, ev, shifts, strong_windows, findings)
    findings += _bright_bands(c, mu, ev, strong_windows, bright_ratio, smooth)
    findings += _jumps(c, mu, ev, jump_ratio, max_gap_nm)
    findings += _fill(c, mu, valid)
    return findings


def _strong(
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
            "The labels do not match the data there: a shifted table, or a block of bands swapped "
            "or reversed"))
    return explained


def _misplaced(
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


def _bright_bands(
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


def _jumps(
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


def _fill(c: np.ndarray, mu: np.ndarray, valid: np.ndarray) -> list[SanityFinding]:
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
