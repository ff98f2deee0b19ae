"""Spectral response functions evaluated on a wavelength grid (nm)."""

from __future__ import annotations

import numpy as np

from hsiadapt.spectral.band import Band, BandSet, SpectralError

__all__ = ["band_response", "gaussian_response", "response_matrix", "response_support"]

#: Gaussian responses are evaluated out to this many FWHM either side of the centre.
GAUSSIAN_EXTENT_FWHM = 3.0
_FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


def gaussian_response(grid_nm: np.ndarray, center_nm: float, fwhm_nm: float) -> np.ndarray:
    """Peak-normalised Gaussian response with the given centre and FWHM, on ``grid_nm``."""
    sigma = fwhm_nm * _FWHM_TO_SIGMA
    return np.exp(-0.5 * ((np.asarray(grid_nm, dtype=np.float64) - center_nm) / sigma) ** 2)


def band_response(band: Band, grid_nm: np.ndarray) -> np.ndarray:
    """The band's relative response on ``grid_nm`` (peak 1; 0 outside the tabulated range).

    Uses the tabulated response when the band has one, otherwise a Gaussian from its FWHM.

    Raises:
        SpectralError: the band has neither a tabulated response nor a FWHM.
    """
    grid = np.asarray(grid_nm, dtype=np.float64)
    if band.response is not None:
        wl, val = (np.asarray(a, dtype=np.float64) for a in band.response)
        r = np.interp(grid, wl, val, left=0.0, right=0.0)
        r = np.clip(r, 0.0, None)
        peak = float(val.max())
        return r / peak if peak > 0 else r
    if band.fwhm_nm is not None:
        return gaussian_response(grid, band.center_nm, band.fwhm_nm)
    raise SpectralError(
        f"band {band.name!r} ({band.center_nm:g} nm) has neither a tabulated response nor a "
        "FWHM, so its spectral response is unknown; give the target sensor FWHM values or "
        "response tables (or use --method select)"
    )


def response_support(band: Band) -> tuple[float, float]:
    """The wavelength interval (nm) outside which the band's response is zero."""
    if band.response is not None:
        wl, val = (np.asarray(a, dtype=np.float64) for a in band.response)
        nz = np.flatnonzero(val > 0)
        if nz.size == 0:
            return (band.center_nm, band.center_nm)
        return float(wl[nz[0]]), float(wl[nz[-1]])
    if band.fwhm_nm is not None:
        half = GAUSSIAN_EXTENT_FWHM * band.fwhm_nm
        return band.center_nm - half, band.center_nm + half
    return band.center_nm, band.center_nm


def response_matrix(bands: BandSet, grid_nm: np.ndarray) -> np.ndarray:
    """Responses of every band on ``grid_nm``, shape ``(len(bands), len(grid_nm))``."""
    return np.stack([band_response(b, grid_nm) for b in bands])
