"""Spectral libraries: many spectra on one band table, read from ENVI files.

An ENVI spectral library (``.sli`` + ``.hdr``, ``file type = ENVI Spectral Library``) stores one
spectrum per line: ``lines`` spectra of ``samples`` values each, ``bands = 1``, with the spectrum
names in ``spectra names``. Some tools (e.g. isofit's surface models) store a library as an ENVI
image one pixel wide or one line tall instead; :func:`read_envi_library` reads both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hsiadapt.spectral.band import BandOrder, BandSet, SpectralError
from hsiadapt.spectral.envi import (
    _data_name,
    _envi_list,
    _read_header,
    bandset_from_header,
    header_int,
    is_library,
    resolve_envi_pair,
)

__all__ = ["SpectralLibrary", "read_envi_library"]

# ENVI 'data type' codes -> numpy kinds (byte order added from 'byte order').
_ENVI_DTYPES = {1: "u1", 2: "i2", 3: "i4", 4: "f4", 5: "f8", 12: "u2", 13: "u4", 14: "i8", 15: "u8"}


@dataclass(frozen=True)
class SpectralLibrary:
    """Spectra sharing one band table.

    Attributes:
        bands: the band table (centres and FWHM in nm), one band per column of ``spectra``.
        spectra: ``(n_spectra, n_bands)`` float64, read-only; divided by the file's reflectance
            scale factor when it has one.
        names: one name per spectrum (the file's ``spectra names``, else ``spectrum 1``...).
        reflectance_scale_factor: the factor the stored values were divided by, ``None`` if the
            file gave none (then ``spectra`` holds the stored values).
    """

    bands: BandSet
    spectra: np.ndarray
    names: tuple[str, ...]
    reflectance_scale_factor: float | None = None

    def __post_init__(self) -> None:
        s = np.asarray(self.spectra)
        if s.ndim != 2 or s.shape[1] != len(self.bands):
            raise SpectralError(
                f"spectra of shape {s.shape} do not fit a library of {len(self.bands)} bands; "
                "pass an array (n_spectra, n_bands)"
            )
        if len(self.names) != s.shape[0]:
            raise SpectralError(f"{len(self.names)} names for {s.shape[0]} spectra")

    def __len__(self) -> int:
        return int(self.spectra.shape[0])

    def __repr__(self) -> str:
        return (
            f"SpectralLibrary({len(self)} spectra x {len(self.bands)} bands, "
            f"{self.bands.centers.min():.1f}-{self.bands.centers.max():.1f} nm)"
        )


def _dtype(hdr, where: str) -> np.dtype:
    code = header_int(hdr, "data type", where)
    kind = _ENVI_DTYPES.get(code)
    if kind is None:
        what = "complex" if code in (6, 9) else "unknown"
        raise SpectralError(
            f"{where}: ENVI data type {code} ({what}) cannot hold reflectance spectra; supported "
            f"types are {sorted(_ENVI_DTYPES)}"
        )
    order = header_int(hdr, "byte order", where, default=0)
    if order not in (0, 1):
        raise SpectralError(
            f"{where}: byte order = {order}; ENVI uses 0 (little endian) or 1 (big endian)"
        )
    return np.dtype(("<" if order == 0 else ">") + kind)


def _scale_factor(hdr, where: str) -> float | None:
    if "reflectance scale factor" not in hdr:
        return None
    try:
        f = float(hdr["reflectance scale factor"])
    except ValueError:
        f = float("nan")
    if not (np.isfinite(f) and f > 0):
        raise SpectralError(
            f"{where}: reflectance scale factor = {hdr['reflectance scale factor']!r}; it must be "
            "a positive number (stored value / factor = reflectance) or be left out"
        )
    return f


def read_envi_library(
    path: str | Path, name: str | None = None, *, order: BandOrder = "detectors"
) -> SpectralLibrary:
    """Read an ENVI spectral library: its spectra, their names and their band table.

    Args:
        path: the header (``lib.hdr``, ``lib.sli.hdr``) or the data file (``lib.sli``, ``lib``,
            ``lib.dat``...); the partner is found as in
            :func:`~hsiadapt.spectral.envi.resolve_envi_pair`.
        name: name for the band table (default: the file name).
        order: order the centres must have (see :class:`~hsiadapt.spectral.BandSet`); the default
            ``"detectors"`` accepts sorted tables and multi-detector product order (EnMAP's VNIR
            then SWIR) but not a shuffled table; pass ``"any"`` for data stored in another order.

    Honours ``data type``, ``byte order``, ``header offset``, ``interleave`` (for libraries
    stored as images), ``wavelength units`` (converted to nm), ``fwhm``, ``bbl`` and
    ``reflectance scale factor`` (spectra are divided by it).

    Raises:
        SpectralError: the header is not a library (nor an image one pixel wide or one line
            tall), lacks wavelengths, or disagrees with the size of the data file.
        FileNotFoundError: no such file.
    """
    data_path, hdr_path = resolve_envi_pair(path)
    hdr = _read_header(hdr_path)
    where = str(hdr_path)
    samples = header_int(hdr, "samples", where)
    lines = header_int(hdr, "lines", where)
    n_bands = header_int(hdr, "bands", where, default=1)
    if is_library(hdr):
        n_spectra, n_wl = lines, samples
    elif samples == 1 or lines == 1:
        n_spectra, n_wl = lines * samples, n_bands
    else:
        raise SpectralError(
            f"{where}: an image of {lines} x {samples} pixels (file type = "
            f"{hdr.get('file type', 'not given')!r}), not a spectral library; a library has "
            "'file type = ENVI Spectral Library' (or is an image one pixel wide). Read images with "
            "a raster reader"
        )
    bands = bandset_from_header(hdr, where, name or _data_name(hdr_path), order)
    dtype = _dtype(hdr, where)
    offset = header_int(hdr, "header offset", where, default=0)
    expected = offset + n_spectra * n_wl * dtype.itemsize
    size = data_path.stat().st_size
    if size != expected:
        raise SpectralError(
            f"{data_path}: {size} bytes, but its header describes {expected} (header offset "
            f"{offset} + {n_spectra} spectra x {n_wl} values x {dtype.itemsize} bytes of data "
            f"type {hdr['data type']}); the file is truncated or the header's 'data type', "
            "'header offset', 'lines' or 'samples' is wrong"
        )
    raw = np.fromfile(data_path, dtype=dtype, count=n_spectra * n_wl, offset=offset)
    if is_library(hdr):
        spectra = raw.reshape(n_spectra, n_wl)
    else:
        interleave = hdr.get("interleave", "bsq").strip().lower()
        axes = {"bsq": (1, 2, 0), "bil": (0, 2, 1), "bip": (0, 1, 2)}.get(interleave)
        if axes is None:
            raise SpectralError(f"{where}: interleave = {interleave!r}; use bsq, bil or bip")
        shape = {
            "bsq": (n_bands, lines, samples),
            "bil": (lines, n_bands, samples),
            "bip": (lines, samples, n_bands),
        }[interleave]
        spectra = raw.reshape(shape).transpose(axes).reshape(n_spectra, n_wl)
    spectra = spectra.astype(np.float64)
    factor = _scale_factor(hdr, where)
    if factor is not None:
        spectra /= factor
    spectra.setflags(write=False)
    return SpectralLibrary(bands, spectra, _spectra_names(hdr, where, n_spectra), factor)


def _spectra_names(hdr: Mapping[str, str], where: str, n_spectra: int) -> tuple[str, ...]:
    """The header's ``spectra names`` (one per spectrum), else ``spectrum 01``, ``02``..."""
    if "spectra names" in hdr:
        names = tuple(_envi_list(hdr["spectra names"]))
        if len(names) != n_spectra:
            raise SpectralError(
                f"{where}: {len(names)} spectra names for {n_spectra} spectra; the names are "
                "comma-separated, so a name must not contain a comma"
            )
        return names
    width = len(str(n_spectra))
    return tuple(f"spectrum {i + 1:0{width}d}" for i in range(n_spectra))
