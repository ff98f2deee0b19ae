"""EMIT L2A surface reflectance (``EMIT_L2A_RFL_*.nc``), read with h5py (netCDF4 is HDF5).

Layout, as the EnMAP-Box's importer reads it (EnMAP-Box f9e8f486,
enmapboxprocessing/algorithm/importemitl2aalgorithm.py:80-115):

* ``reflectance``: ``(downtrack, crosstrack, bands)`` float32 on the sensor's swath grid, fill
  value -9999;
* group ``sensor_band_parameters``: ``wavelengths`` and ``fwhm`` (nm), ``good_wavelengths``
  (1 = good, 0 = in a water-vapour window);
* group ``location``: ``glt_x`` / ``glt_y`` ``(ortho_y, ortho_x)``, the 1-based crosstrack /
  downtrack pixel each map cell takes, 0 where no swath pixel falls (lines 81-96:
  ``valid = np.all(glt != 0, axis=-1)``; ``glt[valid] -= 1``;
  ``array2[valid, :] = array[glt[valid, 1], glt[valid, 0], :]``);
* root attributes ``geotransform`` (GDAL order, of the orthorectified grid) and ``spatial_ref``
  (WKT).

Orthorectification is that nearest-pixel lookup; map cells without a swath pixel are NaN. It
is done strip by strip (:func:`open_emit`), reading only the swath rows a strip needs. Bad
bands (``good_wavelengths`` 0) are marked bad in the band table and their values set to NaN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hsiadapt.spectral._parse import unit_scale
from hsiadapt.spectral.band import BandSet, SpectralError
from hsiadapt.spectral.products._cube import ProductCube
from hsiadapt.spectral.products._windows import ProductWindows

__all__ = ["is_emit", "open_emit", "read_emit", "read_emit_bands"]

FILL = -9999.0


def is_emit(h5: Any) -> bool:
    """True for an open h5py file with EMIT's ``reflectance`` and ``sensor_band_parameters``."""
    return "reflectance" in h5 and "sensor_band_parameters" in h5


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _bands(h5: Any, where: str, n: int) -> BandSet:
    grp = h5["sensor_band_parameters"]
    for key in ("wavelengths", "fwhm"):
        if key not in grp:
            raise SpectralError(f"{where}: sensor_band_parameters has no '{key}'; the file is "
                                "not a complete EMIT L2A RFL product (download it again)")
    wl = np.asarray(grp["wavelengths"][()], dtype=np.float64)
    fw = np.asarray(grp["fwhm"][()], dtype=np.float64)
    if wl.size != n or fw.size != n:
        raise SpectralError(
            f"{where}: reflectance has {n} bands but sensor_band_parameters lists {wl.size} "
            f"wavelengths and {fw.size} FWHM; the file is damaged (download it again)")
    unit = grp["wavelengths"].attrs.get("units")
    scale = unit_scale(None if unit is None else _text(unit), wl, where)
    good = (np.asarray(grp["good_wavelengths"][()]) != 0 if "good_wavelengths" in grp
            else np.ones(n, dtype=bool))
    return BandSet.from_wavelengths(wl * scale, fw * scale, valid=good,
                                    name=Path(where).stem, order="increasing")


def read_emit_bands(path: str | Path) -> BandSet:
    """The band table of an EMIT L2A RFL netCDF (``good_wavelengths`` 0 -> bad band).

    Raises:
        SpectralError: not an EMIT L2A file, or its band table disagrees with its data.
    """
    import h5py

    with h5py.File(path, "r") as h5:
        if not is_emit(h5):
            raise SpectralError(f"{path}: no 'reflectance' with 'sensor_band_parameters'; "
                                "not an EMIT L2A RFL product")
        return _bands(h5, str(path), int(h5["reflectance"].shape[-1]))


#: swath rows read at once when a strip is orthorectified (bounds the memory of one read)
SWATH_CHUNK = 64


def _check_glt(gx: np.ndarray, gy: np.ndarray, rows: int, cols: int, where: str) -> None:
    valid = (gx != 0) & (gy != 0)
    if valid.any() and (gx[valid].max() > cols or gy[valid].max() > rows
                        or gx[valid].min() < 1 or gy[valid].min() < 1):
        raise SpectralError(f"{where}: location/glt_x, glt_y point outside the {rows} x {cols} "
                            "swath; the file is damaged (download it again)")


def _ortho_rows(h5: Any, bands: BandSet, fill: np.float32, gx: np.ndarray,
                gy: np.ndarray) -> np.ndarray:
    """The map cells of GLT rows ``gx``/``gy`` (1-based, 0 = none), NaN where no swath pixel:
    the swath rows they point at are read in chunks of :data:`SWATH_CHUNK`."""
    out = np.full((len(bands), *gx.shape), np.nan, dtype=np.float32)
    valid = (gx != 0) & (gy != 0)
    if not valid.any():
        return out
    ys, xs = gy[valid] - 1, gx[valid] - 1
    x0, x1 = int(xs.min()), int(xs.max()) + 1
    cells = np.flatnonzero(valid.ravel())
    flat = out.reshape(len(bands), -1)
    for c0 in range(int(ys.min()), int(ys.max()) + 1, SWATH_CHUNK):
        pick = (ys >= c0) & (ys < c0 + SWATH_CHUNK)
        if not pick.any():
            continue
        c1 = int(ys[pick].max()) + 1
        slab = np.asarray(h5["reflectance"][c0:c1, x0:x1, :], dtype=np.float32)
        slab[slab == fill] = np.nan
        slab[:, :, ~bands.valid] = np.nan
        flat[:, cells[pick]] = slab[ys[pick] - c0, xs[pick] - x0, :].T
    return out


def open_emit(path: str | Path) -> ProductWindows:
    """An EMIT L2A RFL product opened for strips of its orthorectified grid (reflectance 0-1).

    Raises:
        SpectralError: not an EMIT L2A file, no GLT, or a GLT pointing outside the swath.
    """
    import h5py

    where = str(path)
    with h5py.File(path, "r") as h5:
        if not is_emit(h5):
            raise SpectralError(f"{where}: not an EMIT L2A RFL product")
        rows, cols, n = h5["reflectance"].shape
        bands = _bands(h5, where, n)
        fill = np.float32(np.ravel(h5["reflectance"].attrs.get("_FillValue", FILL))[0])
        if "location" not in h5 or "glt_x" not in h5["location"]:
            raise SpectralError(f"{where}: no location/glt_x, glt_y to orthorectify with; pass "
                                "orthorectify=False for the swath grid")
        glt_x = np.asarray(h5["location"]["glt_x"][()], dtype=np.int64)
        glt_y = np.asarray(h5["location"]["glt_y"][()], dtype=np.int64)
        gt = h5.attrs.get("geotransform")
        crs = h5.attrs.get("spatial_ref")
    _check_glt(glt_x, glt_y, rows, cols, where)

    def strip(r0: int, r1: int) -> np.ndarray:
        with h5py.File(path, "r") as h5:
            return _ortho_rows(h5, bands, fill, glt_x[r0:r1], glt_y[r0:r1])

    notes = (f"{int((~bands.valid).sum())} bands with good_wavelengths = 0 marked bad (NaN)",
             "orthorectified through location/glt_x, glt_y (nearest pixel)")
    transform = None if gt is None else tuple(float(v) for v in np.ravel(gt))
    return ProductWindows(bands, glt_x.shape[0], glt_x.shape[1],
                          None if crs is None else _text(crs), transform,  # type: ignore[arg-type]
                          "emit_l2a_rfl", notes, strip)


def read_emit(path: str | Path, *, orthorectify: bool = True) -> ProductCube:
    """An EMIT L2A RFL product: reflectance 0-1, orthorectified through its GLT.

    Args:
        path: the ``.nc`` file.
        orthorectify: ``False`` keeps the swath grid (then there is no geotransform).
    """
    import h5py

    if orthorectify:
        return open_emit(path).cube()
    where = str(path)
    with h5py.File(path, "r") as h5:
        if not is_emit(h5):
            raise SpectralError(f"{where}: not an EMIT L2A RFL product")
        swath = np.asarray(h5["reflectance"][()], dtype=np.float32)
        bands = _bands(h5, where, swath.shape[-1])
        fill = h5["reflectance"].attrs.get("_FillValue", FILL)
    swath[swath == np.float32(np.ravel(fill)[0])] = np.nan
    swath[:, :, ~bands.valid] = np.nan
    notes = (f"{int((~bands.valid).sum())} bands with good_wavelengths = 0 marked bad (NaN)",
             "swath grid (not orthorectified)")
    return ProductCube(np.moveaxis(swath, -1, 0), bands, None, None, "emit_l2a_rfl", notes)
