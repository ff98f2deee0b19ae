"""Is a band table plausible? Units, spacing and order checks behind :class:`BandSet` validation.

Each check takes band centres in nm, in data order, and returns ``None`` or a message that names
the offending value(s), their 0-based position(s) and the likely fix. The thresholds were checked
against every built-in sensor and the real tables the tests read: EnMAP in product order (VNIR
then SWIR, overlapping by ~90 nm), SpectralEarth's 202 bands (water-vapour windows removed: gaps
of 32x the median spacing), HYPERVIEW's 150 bands, AVIRIS libraries (four spectrometers,
overlapping by ~10 nm), ECOSTRESS tables reaching the thermal infrared, Sentinel-2 (a gap of 13x
its median spacing between B09 and B11).
"""

from __future__ import annotations

import itertools

import numpy as np

#: Largest wavelength (nm) a band centre may have: beyond the thermal infrared nothing in this
#: toolkit makes sense, and a value this large usually means picometres or a wrong column.
MAX_WAVELENGTH_NM = 20_000.0
#: The range (nm) hsiadapt maps from: the reflective bands of a multispectral model.
REFLECTIVE_NM = (350.0, 2600.0)
#: A band centre below this (nm) is almost certainly in micrometres.
MICROMETRE_SUSPICION_NM = 30.0
#: A band centre at an end of the table is isolated when the gap to the rest exceeds this many
#: times the spacing of the bands next to it...
GAP_FACTOR = 10.0
#: ... and this many nm (a 1 nm table may well skip 20 nm).
MIN_ISOLATING_GAP_NM = 100.0
#: Spacing is judged only in tables this long: multispectral sensors have wide, real gaps.
MIN_BANDS_FOR_SPACING = 20
#: At most this many values at either end of the sorted table count as isolated; a larger group
#: beyond a gap is a real part of the spectrum (e.g. thermal bands after the reflective range).
MAX_ISOLATED = 2


def _at(c: np.ndarray, idx: np.ndarray, unit: str = "") -> str:
    idx = idx[:5]
    if idx.size == 1:
        return f"value {c[idx[0]]:g}{unit} at position {idx[0]}"
    values = ", ".join(f"{v:g}" for v in c[idx])
    return f"values {values}{unit} at positions {', '.join(str(i) for i in idx)}"


def _range(values: np.ndarray) -> str:
    return f"{values.min():g}-{values.max():g}"


def mixed_units(c: np.ndarray) -> str | None:
    """Values that only make sense in another unit than the rest of the table."""
    small = c < MICROMETRE_SUSPICION_NM
    if small.any() and not small.all():
        if small.sum() > (~small).sum():
            bad, rest = np.flatnonzero(~small), c[small]
            fixed = ", ".join(f"{v / 1000:g}" for v in c[bad][:5])
            return (
                f"{_at(c, bad)} looks like nanometres among micrometres (the other {rest.size} "
                f"values are {_range(rest)}): write it in micrometres ({fixed}) like the rest, or "
                "give the whole table in nanometres"
            )
        bad, rest = np.flatnonzero(small), c[~small]
        fixed = ", ".join(f"{v * 1000:g}" for v in c[bad][:5])
        return (
            f"{_at(c, bad)} looks like micrometres among nanometres (the other {rest.size} values "
            f"are {_range(rest)} nm): write it in nanometres ({fixed}) like the rest"
        )
    big = c > MAX_WAVELENGTH_NM
    if big.any() and not big.all():
        bad, rest = np.flatnonzero(big), c[~big]
        typed = c[bad] / 1000  # the value as typed, if the table was converted from micrometres
        if ((typed >= rest.min() / 2) & (typed <= rest.max() * 2)).all():
            fixed = ", ".join(f"{v / 1000:g}" for v in typed[:5])
            return (
                f"{_at(c, bad, ' nm')} is 1000x the rest ({_range(rest)} nm): it looks like "
                f"nanometres ({', '.join(f'{v:g}' for v in typed[:5])}) among micrometres, "
                f"converted to nm a second time; write it in micrometres ({fixed}) like the rest"
            )
    return None


def isolated_ends(c: np.ndarray) -> str | None:
    """One or two values far beyond either end of a hyperspectral table: separated from the rest
    by more than :data:`GAP_FACTOR` times the spacing of the bands next to them (and more than
    :data:`MIN_ISOLATING_GAP_NM`), so a regular thermal block after the reflective range passes."""
    n = c.size
    if n < MIN_BANDS_FOR_SPACING:
        return None
    order = np.argsort(c)
    d = np.diff(c[order])
    for k in range(1, MAX_ISOLATED + 1):
        ends = (
            (order[:k], d[k - 1], d[k : k + 5]),  # lowest k, gap above them, spacing beyond
            (order[n - k :], d[n - k - 1], d[max(0, n - k - 6) : n - k - 1]),
        )
        for bad, gap, inside in ends:
            spacing = float(np.median(inside))
            if gap > max(GAP_FACTOR * spacing, MIN_ISOLATING_GAP_NM):
                verb = "is" if k == 1 else "are"
                return (
                    f"{_at(c, np.sort(bad))} {verb} isolated: {gap:g} nm from the other band "
                    f"centres, {gap / spacing:.0f}x the spacing of the bands next to it "
                    f"({spacing:.3g} nm) in this {n}-band table. A typo (a digit too many or too "
                    "few) or a value in another unit? Correct it, or leave that band out"
                )
    return None


def wavenumbers(c: np.ndarray) -> str | None:
    """A table whose every value lies beyond the reflective range (above
    :data:`REFLECTIVE_NM`'s end) but inside that range once read as wavenumbers (cm^-1): the
    message says to convert with 1e7 / x."""
    lo, hi = 1e7 / REFLECTIVE_NM[1], 1e7 / REFLECTIVE_NM[0]
    if c.size == 0 or not (c.min() >= lo and c.max() <= hi):
        return None
    nm = 1e7 / c
    return (
        f"every band centre ({c.min():g}-{c.max():g}) lies beyond the {REFLECTIVE_NM[0]:g}-"
        f"{REFLECTIVE_NM[1]:g} nm range hsiadapt maps to a multispectral model's bands; these "
        "look like wavenumbers (cm^-1), not nanometres: convert each with 1e7 / x (here "
        f"{c[0]:g} -> {nm[0]:.1f} nm ... {c[-1]:g} -> {nm[-1]:.1f} nm) and keep the bands in "
        "the data's order (a table in decreasing order is fine)"
    )


def beyond_max(c: np.ndarray) -> str | None:
    """A centre beyond :data:`MAX_WAVELENGTH_NM`: another unit (wavenumbers, picometres...)."""
    if c.max() <= MAX_WAVELENGTH_NM:
        return None
    i = int(np.argmax(c))
    hint = wavenumbers(c)
    return (f"band centre {c[i]:g} nm at position {i} is beyond {MAX_WAVELENGTH_NM:g} nm; check "
            "the unit (nm expected)" + (f": {hint}" if hint else ""))


def detector_order(c: np.ndarray) -> str | None:
    """Centres increasing within runs, where each new run (detector) starts inside the upper end
    of the previous one and reaches beyond it, as EnMAP's SWIR after its VNIR; or decreasing
    throughout (a sensor that stores its bands from long to short wavelengths: the table still
    says which band is which, and everything downstream goes by centre, not position)."""
    d = np.diff(c)
    if (d > 0).all() or (d < 0).all():
        return None
    tail = (
        "; or pass order='any' if the data really are stored in this order (also when "
        "calling a reader such as load_bandset)"
    )
    starts = [0, *(np.flatnonzero(d < 0) + 1).tolist(), c.size]
    runs = [c[a:b] for a, b in itertools.pairwise(starts)]
    for j in range(1, len(runs)):
        prev, run = runs[j - 1], runs[j]
        overlap = prev[-1] - run[0]
        span = min(prev[-1] - prev[0], run[-1] - run[0])
        if not (run[0] > prev[0] and run[-1] > prev[-1] and overlap < 0.5 * span):
            i = starts[j] - 1
            return (
                f"band centres go back from {c[i]:g} nm at position {i} to {c[i + 1]:g} nm at "
                f"position {i + 1}, which is not a detector boundary (where a second detector's "
                "increasing run starts inside the upper end of the first's and goes beyond it). "
                f"Check these positions for a typo; sort the table (and the data with it){tail}"
            )
    return None
