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

import numpy as np

from hsiadapt.spectral._absorption import WINDOW_SHAPES_NM, displacement, evidence
from hsiadapt.spectral._alignment import (
    O2A_AT_SENSOR,
    absent_absorption,
    displaced_o2a,
    displaced_red_edge,
    o2a_dip,
    with_gap_bands,
)
from hsiadapt.spectral._finding import SanityFinding, Severity
from hsiadapt.spectral._notes import STEEP_NM, fill, jumps
from hsiadapt.spectral._windows import WATER_WINDOWS_NM, bright_bands, misplaced, strong
from hsiadapt.spectral.band import BandSet, SpectralError

__all__ = ["STEEP_NM", "WATER_WINDOWS_NM", "SanityFinding", "Severity", "spectral_sanity"]


def spectral_sanity(
    bands: BandSet,
    mean_spectrum: np.ndarray,
    *,
    bright_ratio: float = 0.5,
    smooth: float = 0.05,
    jump_ratio: float = 0.2,
    max_gap_nm: float = 15.0,
    imagery: bool = False,
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
        imagery: the spectra were measured through the atmosphere (airborne or spaceborne
            imagery, as ``hsiadapt data check`` reads). Then bright, measured bands labelled
            inside both deep windows are strong evidence against the labels. Left False for
            spectral libraries (lab and field spectra have no atmosphere); an at-sensor
            spectrum (deep O2-A band) counts as imagery either way.

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
    cg, evg = with_gap_bands(c, ev)  # bands removed at the windows count as absorbed
    findings: list[SanityFinding] = []
    shifts = [displacement(cg, evg, w) for w in WINDOW_SHAPES_NM]
    shifted = strong(cg, shifts, findings)  # windows explained by a shifted table
    dip = o2a_dip(c, mu, ev.measured)
    at_sensor = dip is not None and dip[0] >= O2A_AT_SENSOR
    absent = absent_absorption(c, ev) if (imagery or at_sensor) and not shifted else None
    findings += [absent] if absent is not None else []
    explained = shifted | ({0, 1} if absent is not None else set())
    explained |= misplaced(cg, evg, shifts, explained, findings)
    o2 = displaced_o2a(c, mu, ev)
    findings += [o2] if o2 is not None else []
    if not at_sensor and not shifted:
        errs = [-d.shift_nm for d in shifts if d is not None and d.shift_nm is not None]
        edge = displaced_red_edge(c, mu, ev, [e for e in errs if abs(e) >= 15.0])
        if edge is not None:
            findings.append(edge)
            explained |= {0, 1}
    findings += bright_bands(c, mu, ev, explained, bright_ratio, smooth)
    findings += jumps(c, mu, ev, jump_ratio, max_gap_nm)
    findings += fill(c, mu, valid)
    return sorted(findings, key=lambda f: f.severity != "strong")
