"""The checks a band table passes before it becomes a :class:`~hsiadapt.spectral.band.BandSet`:
finite, positive, plausible centres in nm, no duplicates, the declared order, valid FWHMs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hsiadapt.spectral._plausibility import (
    MICROMETRE_SUSPICION_NM,
    beyond_max,
    detector_order,
    isolated_ends,
    mixed_units,
)
from hsiadapt.spectral.errors import SpectralError

__all__ = ["check_band_table"]


def check_band_table(name: str, bands: Sequence[Any], order: str) -> None:
    """Raise :class:`SpectralError` (naming the band set, the bands and the fix) for a band
    table that cannot describe data; ``bands``: :class:`~hsiadapt.spectral.band.Band` objects
    in data order."""
    if not bands:
        raise SpectralError(f"band set {name!r} is empty: a sensor needs at least one band")
    c = np.array([b.center_nm for b in bands], dtype=np.float64)
    _check_centres(name, c)
    _check_bands(name, bands, order, c)


def _check_centres(name: str, c: np.ndarray) -> None:
    bad = np.flatnonzero(~np.isfinite(c))
    if bad.size:
        raise SpectralError(
            f"band set {name!r}: band centre(s) at index {bad.tolist()[:5]} are not finite "
            f"({c[bad][:5].tolist()}); every band needs a wavelength in nm"
        )
    bad = np.flatnonzero(c <= 0)
    if bad.size:
        raise SpectralError(
            f"band set {name!r}: band centre(s) at index {bad.tolist()[:5]} are not "
            f"positive ({c[bad][:5].tolist()}); wavelengths are in nm and > 0"
        )
    problem = mixed_units(c)
    if problem:
        raise SpectralError(f"band set {name!r}: {problem}")
    if c.max() < MICROMETRE_SUSPICION_NM:
        raise SpectralError(
            f"band set {name!r}: all band centres are below {MICROMETRE_SUSPICION_NM:g} "
            f"(max {c.max():g}); they look like micrometres. hsiadapt uses nanometres: "
            "give them in nm (x 1000), or say they are micrometres (wavelength units = "
            "Micrometers in an ENVI header, wavelength_units in GeoTIFF band tags, a "
            "'wavelength_um' column in a table; unit=\"um\" in Python)"
        )
    problem = beyond_max(c)
    if problem:
        raise SpectralError(f"band set {name!r}: {problem}")
    uniq, counts = np.unique(c, return_counts=True)
    if (counts > 1).any():
        dup = uniq[counts > 1]
        idx = [np.flatnonzero(c == d).tolist() for d in dup[:3]]
        raise SpectralError(
            f"band set {name!r}: duplicate band centre(s) {dup[:3].tolist()} nm at "
            f"indices {idx}; each band must have its own wavelength"
        )
    problem = isolated_ends(c)
    if problem:
        raise SpectralError(f"band set {name!r}: {problem}")


def _check_bands(name: str, bands: Sequence[Any], order: str, c: np.ndarray) -> None:
    names = [b.name for b in bands]
    if len(set(names)) != len(names):
        seen: set[str] = set()
        dups = [n for n in names if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
        raise SpectralError(f"band set {name!r}: duplicate band names {dups[:5]}")
    for i, b in enumerate(bands):
        if b.fwhm_nm is not None and not (np.isfinite(b.fwhm_nm) and b.fwhm_nm > 0):
            raise SpectralError(
                f"band set {name!r}: band {i} ({b.name}) has FWHM {b.fwhm_nm!r}; "
                "FWHM must be a positive number of nm, or None when unknown"
            )
    if order == "increasing":
        d = np.diff(c)
        bad = np.flatnonzero(d <= 0)
        if bad.size:
            i = int(bad[0])
            raise SpectralError(
                f"band set {name!r}: band centres are not increasing at index {i + 1} "
                f"({c[i]:g} nm followed by {c[i + 1]:g} nm). Sort the bands (and the data "
                "with them), pass order='detectors' for data stored detector by detector "
                "(e.g. VNIR then SWIR), or order='any' if the data really are stored in "
                "this order"
            )
    elif order == "detectors":
        problem = detector_order(c)
        if problem:
            raise SpectralError(f"band set {name!r}: {problem}")
    elif order != "any":
        raise SpectralError(
            f"unknown order {order!r}: use 'increasing', 'detectors' or 'any'"
        )
