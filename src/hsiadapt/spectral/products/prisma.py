"""PRISMA L2D surface reflectance (``PRS_L2D_STD_*.he5``, HDF-EOS5), read with h5py.

Layout, as the EnMAP-Box's importer reads it (EnMAP-Box f9e8f486,
enmapboxprocessing/algorithm/importprismal2dalgorithm.py):

* ``HDFEOS/SWATHS/PRS_L2D_HCO/Data Fields/VNIR_Cube`` and ``.../SWIR_Cube``: uint16 stored
  ``(rows, bands, cols)`` (line 218: ``np.transpose(arrayVnir, [1, 0, 2])``), bands in decreasing
  wavelength (the ``[::-1]`` on the same line);
* root attributes ``List_Cw_Vnir`` / ``List_Fwhm_Vnir`` (and ``..._Swir``): one centre / FWHM in
  nm per stored band, 0 for a band that is not delivered (line 217:
  ``selectedVnir = [v != 0 for v in ...List_Cw_Vnir...]``);
* ``Epsg_Code`` and ``Product_ULcorner_easting/northing``, ``Product_LRcorner_easting/northing``,
  the centres of the corner pixels (lines 468-477 pad them by half a 30 m pixel);
* ``L2ScaleVnirMin/Max``, ``L2ScaleSwirMin/Max``: reflectance = Min + DN x (Max - Min) / 65535
  (ASI's PRISMA Product Specification; the EnMAP-Box instead divides DN by 65535 alone). A pixel
  whose DN is 0 in every band of both cubes has no data.

VNIR (~400-1010 nm) and SWIR (~920-2500 nm) overlap. ``overlap="vnir"`` (default) keeps the VNIR
bands and drops the SWIR bands centred at or below the last VNIR centre; ``"swir"`` the reverse;
``"keep"`` keeps both, sorted by wavelength. What was dropped is in :attr:`ProductCube.notes`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np

from hsiadapt.spectral.band import BandSet, SpectralError
from hsiadapt.spectral.products._cube import ProductCube
from hsiadapt.spectral.products._windows import ProductWindows

__all__ = ["OVERLAP", "is_prisma_l2", "open_prisma", "read_prisma", "read_prisma_bands"]

Overlap = Literal["vnir", "swir", "keep"]
OVERLAP: tuple[str, ...] = ("vnir", "swir", "keep")
_SWATHS = "HDFEOS/SWATHS"


def _swath(h5: Any) -> str | None:
    if _SWATHS not in h5:
        return None
    names = [n for n in h5[_SWATHS] if n.startswith("PRS_L2") and n.endswith("_HCO")]
    return f"{_SWATHS}/{names[0]}/Data Fields" if names else None


def is_prisma_l2(h5: Any) -> bool:
    """True for an open h5py file holding a PRISMA L2 hyperspectral swath (``PRS_L2*_HCO``)."""
    return _swath(h5) is not None


def _attr(h5: Any, key: str, where: str) -> np.ndarray:
    if key not in h5.attrs:
        raise SpectralError(f"{where}: the root attribute '{key}' is missing; the file is not a "
                            "complete PRISMA L2 product (download it again)")
    return np.ravel(np.asarray(h5.attrs[key], dtype=np.float64))


def _detector(h5: Any, det: str, where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(stored band indices to keep, centres, FWHM) in increasing wavelength, for one cube."""
    cube = h5[f"{_swath(h5)}/{det.upper()}_Cube"]
    n = cube.shape[1]
    cw, fw = _attr(h5, f"List_Cw_{det}", where), _attr(h5, f"List_Fwhm_{det}", where)
    if cw.size != n or fw.size != n:
        raise SpectralError(
            f"{where}: {det.upper()}_Cube has {n} bands but List_Cw_{det} lists {cw.size} centres "
            f"and List_Fwhm_{det} {fw.size} FWHM; the file is damaged (download it again)")
    keep = np.flatnonzero(cw != 0)
    keep = keep[np.argsort(cw[keep], kind="stable")]
    return keep, cw[keep], fw[keep]


def _plan(h5: Any, where: str, overlap: Overlap) -> tuple[dict[str, np.ndarray], BandSet, str]:
    if overlap not in OVERLAP:
        raise SpectralError(f"overlap={overlap!r}: use one of {', '.join(OVERLAP)}")
    (vi, vc, vf), (si, sc, sf) = _detector(h5, "Vnir", where), _detector(h5, "Swir", where)
    if overlap == "vnir":
        drop = sc <= vc.max()
        si, sc, sf = si[~drop], sc[~drop], sf[~drop]
        note = f"VNIR/SWIR overlap: kept the VNIR bands, dropped {int(drop.sum())} SWIR bands"
    elif overlap == "swir":
        drop = vc >= sc.min()
        vi, vc, vf = vi[~drop], vc[~drop], vf[~drop]
        note = f"VNIR/SWIR overlap: kept the SWIR bands, dropped {int(drop.sum())} VNIR bands"
    else:
        note = "VNIR/SWIR overlap: both kept, bands sorted by wavelength"
    centers, fwhm = np.concatenate([vc, sc]), np.concatenate([vf, sf])
    order = "increasing" if overlap != "keep" else "any"
    idx = np.argsort(centers, kind="stable")
    bands = BandSet.from_wavelengths(centers[idx], fwhm[idx], name=Path(where).stem,
                                     order=order)  # type: ignore[arg-type]
    return {"Vnir": vi, "Swir": si, "sort": idx}, bands, note


def read_prisma_bands(path: str | Path, *, overlap: Overlap = "vnir") -> BandSet:
    """The band table of a PRISMA L2 ``.he5`` (VNIR + SWIR, overlap resolved by ``overlap``).

    Raises:
        SpectralError: not a PRISMA L2 file, or its wavelength lists disagree with its cubes.
    """
    import h5py

    with h5py.File(path, "r") as h5:
        if not is_prisma_l2(h5):
            raise SpectralError(f"{path}: no {_SWATHS}/PRS_L2*_HCO swath; not a PRISMA L2 product")
        return _plan(h5, str(path), overlap)[1]


def open_prisma(path: str | Path, *, overlap: Overlap = "vnir") -> ProductWindows:
    """A PRISMA L2 product opened for strips: reflectance 0-1, NaN where it has no data.

    Raises:
        SpectralError: not a PRISMA L2 file, or its metadata disagree with its cubes.
    """
    import h5py

    where = str(path)
    with h5py.File(path, "r") as h5:
        if not is_prisma_l2(h5):
            raise SpectralError(f"{where}: not a PRISMA L2 product")
        plan, bands, note = _plan(h5, where, overlap)
        fields = _swath(h5)
        scale = {det: (float(_attr(h5, f"L2Scale{det}Min", where)[0]),
                       float(_attr(h5, f"L2Scale{det}Max", where)[0])) for det in ("Vnir", "Swir")}
        rows, _n, cols = h5[f"{fields}/VNIR_Cube"].shape
        crs, gt = _georef(h5, where, (rows, cols))

    def strip(r0: int, r1: int) -> np.ndarray:
        parts, empty = [], None
        with h5py.File(path, "r") as h5:
            for det in ("Vnir", "Swir"):
                dn = np.asarray(h5[f"{fields}/{det.upper()}_Cube"][r0:r1])  # (rows, bands, cols)
                lo, hi = scale[det]
                zero = np.all(dn == 0, axis=1)
                empty = zero if empty is None else empty & zero
                sel = np.transpose(dn[:, plan[det], :], (1, 0, 2)).astype(np.float32)
                parts.append(np.float32(lo) + sel * np.float32((hi - lo) / 65535.0))
        data = np.concatenate(parts)[plan["sort"]]
        data[:, empty] = np.nan
        return data

    return ProductWindows(bands, rows, cols, crs, gt, "prisma_l2d",
                          (note, "reflectance = L2ScaleMin + DN x (L2ScaleMax - L2ScaleMin) / "
                           "65535"), strip)


def read_prisma(path: str | Path, *, overlap: Overlap = "vnir") -> ProductCube:
    """A PRISMA L2 product: reflectance 0-1 ``(bands, rows, cols)``, NaN where it has no data."""
    return open_prisma(path, overlap=overlap).cube()


def _georef(h5: Any, where: str, shape: tuple[int, ...]) -> tuple[str | None, Any]:
    keys = ("Product_ULcorner_easting", "Product_ULcorner_northing",
            "Product_LRcorner_easting", "Product_LRcorner_northing")
    if "Epsg_Code" not in h5.attrs or any(k not in h5.attrs for k in keys):
        return None, None
    ule, uln, lre, lrn = (float(_attr(h5, k, where)[0]) for k in keys)
    rows, cols = shape
    dx = (lre - ule) / (cols - 1) if cols > 1 else 30.0
    dy = (uln - lrn) / (rows - 1) if rows > 1 else 30.0
    epsg = int(_attr(h5, "Epsg_Code", where)[0])
    return f"EPSG:{epsg}", (ule - dx / 2, dx, 0.0, uln + dy / 2, 0.0, -dy)
