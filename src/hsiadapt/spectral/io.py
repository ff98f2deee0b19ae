"""Read band wavelengths from data files: GeoTIFF (GDAL metadata), ENVI headers, text tables.

Every reader returns a :class:`~hsiadapt.spectral.BandSet` in nanometres (micrometre metadata is
converted here, at the boundary) in the band order of the data.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path

import numpy as np

from hsiadapt.spectral._parse import floats as _floats
from hsiadapt.spectral._parse import looks_binary
from hsiadapt.spectral._parse import unit_scale as _unit_scale
from hsiadapt.spectral._plausibility import wavenumbers
from hsiadapt.spectral.band import BandOrder, BandSet, SpectralError
from hsiadapt.spectral.envi import (
    NoEnviPartner,
    header_names,
    read_envi_header,
    resolve_envi_pair,
)
from hsiadapt.spectral.envi import _envi_list as _envi_list  # (re-exported: benchmark uses it)
from hsiadapt.spectral.envi import _parse_envi_header as _parse_envi_header  # (same)
from hsiadapt.spectral.sensors import get_sensor, list_sensors

__all__ = [
    "load_bandset",
    "read_envi_header",
    "read_geotiff_bands",
    "read_wavelength_file",
]


def read_geotiff_bands(
    path: str | Path, name: str | None = None, *, order: BandOrder = "detectors"
) -> BandSet:
    """Band wavelengths from a GeoTIFF's GDAL metadata.

    Looks, in order, for per-band tags ``wavelength`` / ``fwhm`` / ``wavelength_units`` / ``bbl``
    (as written by GDAL's ENVI driver and the EnMAP-Box), then for dataset tags in the ``ENVI``
    domain (``wavelength = {...}``). The good-band list (``bbl``, 0 = bad) becomes ``valid``.

    Args:
        path: the raster (any format GDAL reads).
        name: name for the band set (default: the file name without extension).
        order: order the centres must have (see :class:`~hsiadapt.spectral.BandSet`); the default
            ``"detectors"`` accepts sorted tables (increasing or decreasing) and multi-detector
            product order (EnMAP's VNIR then SWIR) but not a shuffled table; pass ``"any"`` for data stored in another order.

    Raises:
        SpectralError: the file has no wavelength metadata (the message says how to provide it)
            or the metadata do not match the band count.
        FileNotFoundError: no such file.
    """
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such GeoTIFF: {p}")
    try:
        with warnings.catch_warnings():  # only metadata is read: georeferencing is irrelevant
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            src = rasterio.open(p)
    except RasterioIOError as err:
        raise SpectralError(f"{p}: cannot be read as a raster ({err}); is it truncated?") from None
    with src:
        n = src.count
        band_tags = [{k.lower(): v for k, v in src.tags(i + 1).items()} for i in range(n)]
        envi = {k.lower(): v for k, v in src.tags(ns="ENVI").items()}
    where = str(p)
    if n == 0:  # a netCDF / HDF5 container: its arrays are subdatasets, not bands
        raise SpectralError(
            f"{where}: a container of subdatasets (netCDF/HDF5) with no raster bands of its own, "
            "and not a product hsiadapt recognises (EnMAP L2A/L1C, EMIT L2A RFL, PRISMA L2). "
            "Convert the cube to a GeoTIFF or ENVI file with its wavelengths, or pass the band "
            "table with --wavelengths")
    if all("wavelength" in t for t in band_tags):
        centers = _floats([t["wavelength"] for t in band_tags], "wavelength", where)
        unit = band_tags[0].get("wavelength_units")
        fw = (
            _floats([t["fwhm"] for t in band_tags], "fwhm", where)
            if all("fwhm" in t for t in band_tags)
            else None
        )
        bbl = [t.get("bbl", "1") for t in band_tags]
    elif "wavelength" in envi:
        centers = _floats(_envi_list(envi["wavelength"]), "wavelength", where)
        unit = envi.get("wavelength_units")
        fw = _floats(_envi_list(envi["fwhm"]), "fwhm", where) if "fwhm" in envi else None
        bbl = _envi_list(envi["bbl"]) if "bbl" in envi else ["1"] * centers.size
    else:
        raise SpectralError(
            f"{where}: no wavelength metadata (neither per-band 'wavelength' tags nor an ENVI "
            "'wavelength' list). Give the band centres separately, as a wavelength file "
            "(a text table) or a built-in sensor name: --wavelengths on the command line "
            "(hsiadapt data check, predict), 'wavelengths: FILE' in a task's dataset_args, or a "
            "wavelengths.txt beside the images of an hsi_folder dataset"
        )
    if centers.size != n:
        raise SpectralError(f"{where}: {centers.size} wavelengths for {n} bands")
    scale = _unit_scale(unit, centers, where)
    valid = np.array([float(b) != 0 for b in bbl], dtype=bool)
    return BandSet.from_wavelengths(
        centers * scale,
        None if fw is None else fw * scale,
        valid=valid,
        name=name or p.stem,
        order=order,
    )


def read_wavelength_file(
    path: str | Path, name: str | None = None, *, order: BandOrder = "detectors"
) -> BandSet:
    """Band wavelengths from a text table.

    Accepted: a CSV/TSV with a header naming a centre column (``wavelength``, ``center_nm``,
    ``wavelength_nm``, ``center``...) and optionally ``fwhm``/``fwhm_nm`` and ``bbl``/``valid``;
    or plain numbers, one per line or comma-separated on one line (nm, or micrometres when all
    values are below 30). Lines starting with ``#`` are comments. ``order``: as for
    :func:`read_geotiff_bands`.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such wavelength file: {p}")
    if _is_binary(p):
        raise SpectralError(
            f"{p} is a binary file, not a text table of wavelengths. {ACCEPTED_INPUTS}"
        )
    lines = [
        ln for ln in p.read_text(errors="replace").splitlines() if ln.strip() and ln[0] != "#"
    ]
    if not lines:
        raise SpectralError(f"{p}: empty wavelength file")
    where = str(p)
    first = lines[0]
    delim = "\t" if "\t" in first else ";" if ";" in first else ","
    head = [h.strip().lower() for h in first.split(delim)]
    if any(re.search("[a-z]", h) for h in head):
        rows = list(csv.DictReader(lines, delimiter=delim))
        cols = {k.strip().lower(): k for k in rows[0]} if rows else {}
        c_key = next(
            (cols[k] for k in ("center_nm", "wavelength_nm", "wavelength", "center", "centre",
                               "center_wavelength", "wl") if k in cols),
            None,
        )
        if c_key is None:
            raise SpectralError(f"{where}: no wavelength column among {list(cols)}")
        centers = _floats([r[c_key] for r in rows], c_key, where)
        f_key = next((cols[k] for k in ("fwhm_nm", "fwhm") if k in cols), None)
        fw = _floats([r[f_key] for r in rows], f_key, where) if f_key else None
        v_key = next((cols[k] for k in ("bbl", "valid", "good") if k in cols), None)
        valid = [float(r[v_key]) != 0 for r in rows] if v_key else None
        unit = "um" if ("um" in c_key or "micro" in c_key) else None
    else:
        values = [v for ln in lines for v in re.split(r"[,\s;]+", ln.strip()) if v]
        centers, fw, valid, unit = _floats(values, "wavelength", where), None, None, None
    scale = 1000.0 if unit == "um" else _unit_scale(None, centers, where)
    return BandSet.from_wavelengths(
        centers * scale,
        None if fw is None else fw * scale,
        valid=valid,
        name=name or p.stem,
        order=order,
    )


def _is_binary(path: Path) -> bool:
    with path.open("rb") as f:
        return looks_binary(f.read(8192))


def _starts_with_envi(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4).upper() == b"ENVI"


def _is_raster(path: Path) -> bool:
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rasterio.open(path):
                return True
    except RasterioIOError:
        return False


#: What :func:`load_bandset` (and so the CLI's ``spectral`` command) accepts, for error messages.
ACCEPTED_INPUTS = (
    "Accepted: a built-in sensor name (hsiadapt sensors), a mission product as downloaded (EnMAP "
    "L2A/L1C ...-SPECTRAL_IMAGE.TIF beside its -METADATA.XML, EMIT L2A RFL .nc, PRISMA L2D "
    ".he5), a GeoTIFF (or another GDAL raster) "
    "with wavelength metadata, an ENVI header (.hdr) or the ENVI data file beside it (scene, "
    "scene.img, scene.dat, lib.sli ...), or a text table of wavelengths (CSV/TSV with a "
    "'wavelength' column, or plain numbers)"
)


def load_bandset(spec: str | Path, *, order: BandOrder = "detectors") -> BandSet:
    """The band table named by ``spec`` (see :func:`_load`); a file's table whose every centre
    lies beyond the reflective range but reads as wavenumbers (cm^-1) is refused with the
    conversion (1e7 / x).

    Raises:
        SpectralError: as :func:`_load`, and for a table of wavenumbers.
    """
    bs = _load(spec, order=order)
    problem = wavenumbers(bs.centers)
    if problem and str(spec).strip().lower().replace("-", "_") not in list_sensors():
        raise SpectralError(f"{spec}: {problem}")
    return bs


def _load(spec: str | Path, *, order: BandOrder = "detectors") -> BandSet:
    """The band table named by ``spec``.

    ``spec`` is a built-in sensor name, or a file: a mission product recognised by
    :func:`~hsiadapt.spectral.products.detect_product` (read with its own band table);
    ``.tif``/``.tiff`` (GDAL metadata); an ENVI header or the ENVI data file beside one, with or
    without an extension (the pair is found with :func:`~hsiadapt.spectral.envi.resolve_envi_pair`);
    another GDAL raster; or a text table of wavelengths. A binary file is never read as a text table. ``order`` applies to files (see
    :func:`read_geotiff_bands`); a built-in sensor has its own.

    Raises:
        SpectralError: neither a known sensor nor an existing file, a binary file that is neither
            a raster nor ENVI data with a header, or a file without usable wavelengths.
    """
    s = str(spec)
    if s.strip().lower().replace("-", "_") in list_sensors():
        return get_sensor(s)
    p = Path(s)
    if not p.exists():
        from hsiadapt.hints import did_you_mean

        hint = did_you_mean(s.lower(), list_sensors())
        raise SpectralError(
            f"{s!r} is neither a built-in sensor nor an existing file{hint} Sensors: "
            f"{', '.join(list_sensors())}"
        )
    if p.is_dir():
        raise SpectralError(f"{p} is a folder; pass one file. {ACCEPTED_INPUTS}")
    from hsiadapt.spectral.products import detect_product, product_bands

    if detect_product(p) is not None:  # EnMAP image/XML, EMIT .nc, PRISMA .he5: by content
        return product_bands(p)
    suffix = p.suffix.lower()
    if suffix in (".tif", ".tiff"):
        return read_geotiff_bands(p, order=order)
    if suffix == ".hdr":
        return read_envi_header(p, order=order)
    if _starts_with_envi(p):  # an ENVI header without the .hdr extension
        return read_envi_header(p, order=order)
    try:
        header: Path | None = resolve_envi_pair(p)[1]  # an ENVI data file beside its header
    except NoEnviPartner:
        header = None
    if header is not None:
        return read_envi_header(header, order=order)
    if not _is_binary(p):
        return read_wavelength_file(p, order=order)
    if _is_raster(p):
        return read_geotiff_bands(p, order=order)
    raise SpectralError(
        f"{p} is a binary file, but neither a raster GDAL can read nor ENVI data with a header "
        f"beside it (looked for {' and '.join(header_names(p))}). {ACCEPTED_INPUTS}"
    )
