"""DESIS L2A (and L1B/L1C) products: a GeoTIFF whose band table lives in the sibling METADATA.xml.

A product folder ``DESIS-HSI-L2A-DT<take>_<tile>-<time>-V<version>`` holds
``<name>-SPECTRAL_IMAGE.tif`` (int16, one band per spectral band; 235 unbinned, 118 / 79 / 60
binned), ``<name>-SPECTRAL_IMAGE.hdr`` (an ENVI header with ``wavelength``, ``fwhm``,
``data gain values``, ``data offset values``, ``data ignore value``), ``<name>-METADATA.xml``
and quality/quicklook files (``-QL_QUALITY-2.tif``...). What this rests on (no DESIS product is
available here, and DLR's product specification PAV-DLR-ICD-003 was not readable in full):

* the file names and the header's fields, as the EnMAP-Box's importer reads them (EnMAP-Box
  03ef09f0, enmapboxprocessing/algorithm/importdesisl2aalgorithm.py: ``basename(file)
  .startswith('DESIS-HSI-L2A') & basename(file).endswith('METADATA.xml')``,
  ``xmlFilename.replace('-METADATA.xml', '-SPECTRAL_IMAGE.hdr')``, ``getMetadataAsList('data
  gain values', text)``);
* the XML's band elements, as ACOLITE reads them (acolite d218a3a6, acolite/desis/metadata.py:
  123-128: ``band_tags = ['wavelengthCenterOfBand', 'wavelengthWidthOfBand', 'response',
  'wavelengths', 'gainOfBand', 'offsetOfBand']`` under ``getElementsByTagName('band')`` with a
  ``bandNumber``; line 29 reads ``backgroundValue``), found at any depth as ACOLITE does, so the
  reader does not depend on the parents' names (which are not known here);
* DN x gain + offset = the product's unit (acolite/desis/l1_convert.py:228-229 applies ``data
  gain values`` / ``data offset values`` so; for L2A this is reflectance 0-1, which is why the
  EnMAP-Box scales by gain x 1e4 into 0-10000).

The band table comes from the XML (``wavelengthCenterOfBand``, ``wavelengthWidthOfBand`` as the
FWHM, both nm), falling back to the ENVI header when the XML has no band elements; gains and
offsets likewise. Pixels equal to ``backgroundValue`` (else the header's ``data ignore value``,
else the GeoTIFF's nodata) have no data.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hsiadapt.spectral._parse import floats, unit_scale
from hsiadapt.spectral.band import BandSet, SpectralError
from hsiadapt.spectral.products._cube import ProductCube
from hsiadapt.spectral.products._windows import ProductWindows

__all__ = ["is_desis_image", "is_desis_metadata", "open_desis", "read_desis",
           "read_desis_bands"]

_MARKER = "-SPECTRAL_IMAGE"


def is_desis_image(path: Path) -> bool:
    """True for a file named like a DESIS product's spectral image (``DESIS-HSI-...-SPECTRAL_IMAGE``
    with a GeoTIFF suffix)."""
    name = path.name.upper()
    return (name.startswith("DESIS-HSI-") and _MARKER in name
            and path.suffix.lower() in (".tif", ".tiff"))


def is_desis_metadata(path: Path) -> bool:
    """True for a DESIS ``-METADATA.xml`` (named ``DESIS-HSI-...-METADATA.xml``)."""
    name = path.name.upper()
    return name.startswith("DESIS-HSI-") and name.endswith("-METADATA.XML")


def _sibling(path: Path, suffix: str) -> Path:
    stem = path.name[: path.name.upper().index(_MARKER if is_desis_image(path) else "-METADATA")]
    for cand in (f"{stem}{suffix}", f"{stem}{suffix.upper()}", f"{stem}{suffix.lower()}"):
        if (path.parent / cand).exists():
            return path.parent / cand
    return path.parent / f"{stem}{suffix}"


def image_for(xml: Path) -> Path:
    """The spectral image beside a DESIS ``-METADATA.xml``."""
    for suffix in ("-SPECTRAL_IMAGE.tif", "-SPECTRAL_IMAGE.TIF", "-SPECTRAL_IMAGE.tiff"):
        if (cand := _sibling(xml, suffix)).exists():
            return cand
    raise SpectralError(f"{xml}: no -SPECTRAL_IMAGE.tif beside it; the DESIS product folder is "
                        "incomplete (unzip the whole product)")


@dataclass(frozen=True)
class _Table:
    bands: BandSet
    gains: np.ndarray
    offsets: np.ndarray
    background: float | None
    level: str


def _xml_table(xml: Path) -> _Table | None:
    where = str(xml)
    try:
        root = ET.parse(xml).getroot()
    except ET.ParseError as err:
        raise SpectralError(f"{where}: not readable XML ({err}); re-extract the product") from None
    elems = [e for e in root.iter() if _local(e.tag) == "band" and _child(e, "bandNumber") is not None]
    background = _child_text(root, "backgroundValue")
    level = (_child_text(root, "productType") or "L2A").strip()
    if not elems:
        return None
    numbers = [int(float(_child(e, "bandNumber").text or "0")) for e in elems]  # type: ignore[union-attr]
    if sorted(numbers) != list(range(1, len(elems) + 1)):
        raise SpectralError(f"{where}: band numbers are not 1..{len(elems)}; the XML is damaged")
    elems = [e for _, e in sorted(zip(numbers, elems, strict=True), key=lambda t: t[0])]

    def column(tag: str, default: str | None = None) -> np.ndarray:
        vals = [(c.text if (c := _child(e, tag)) is not None else default) for e in elems]
        if any(v is None for v in vals):
            raise SpectralError(f"{where}: a band element has no {tag}; the XML is damaged "
                                "(or pass the band table with --wavelengths)")
        return floats([str(v) for v in vals], tag, where)

    centers = column("wavelengthCenterOfBand")
    scale = unit_scale(None, centers, where)
    bands = BandSet.from_wavelengths(centers * scale, column("wavelengthWidthOfBand") * scale,
                                     name=xml.name[: -len("-METADATA.xml")], order="increasing")
    return _Table(bands, column("gainOfBand", "1"), column("offsetOfBand", "0"),
                  None if background is None else float(background), level)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(e: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in e if _local(c.tag) == name), None)


def _child_text(root: ET.Element, name: str) -> str | None:
    return next((e.text for e in root.iter() if _local(e.tag) == name and e.text), None)


def _header_table(image: Path, xml: Path, background: float | None) -> _Table:
    """The band table, gains and offsets from the ENVI header beside the image."""
    from hsiadapt.spectral.envi import _envi_list, _read_header, bandset_from_header

    hdr = _sibling(image, "-SPECTRAL_IMAGE.hdr")
    if not hdr.exists():
        raise SpectralError(f"{xml}: no band elements (wavelengthCenterOfBand) and no "
                            f"{hdr.name} beside the image, so no band table; keep the product "
                            "folder whole, or pass the band table with --wavelengths")
    h = _read_header(hdr)
    bands = bandset_from_header(h, str(hdr), hdr.stem, order="increasing")

    def column(key: str, default: float) -> np.ndarray:
        if key not in h:
            return np.full(len(bands), default)
        v = floats(_envi_list(h[key]), key, str(hdr))
        if v.size != len(bands):
            raise SpectralError(f"{hdr}: '{key}' has {v.size} values for {len(bands)} bands; "
                                "the header is damaged")
        return v

    ignore = h.get("data ignore value")
    bg = background if background is not None else (None if ignore is None else float(ignore))
    return _Table(bands, column("data gain values", 1.0), column("data offset values", 0.0),
                  bg, "L2A")


def _checked(image: Path) -> tuple[Path, _Table]:
    import warnings

    import rasterio

    xml = _sibling(image, "-METADATA.xml")
    if not xml.exists():
        raise SpectralError(
            f"{image}: a DESIS product image, but {xml.name} is not beside it, and the band "
            "centres and FWHM live there. Keep the product folder whole, or give the band table "
            "separately (--wavelengths FILE or the sensor name desis)")
    table = _xml_table(xml)
    if table is None:
        root_bg = _child_text(ET.parse(xml).getroot(), "backgroundValue")
        table = _header_table(image, xml, None if root_bg is None else float(root_bg))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with rasterio.open(image) as src:
            n = int(src.count)
    if n != len(table.bands):
        raise SpectralError(
            f"{image} has {n} bands but {xml.name} describes {len(table.bands)}: the two files "
            "are not from the same product. Put the image beside its own METADATA.xml")
    return xml, table


def _image(path: Path) -> Path:
    return image_for(path) if is_desis_metadata(path) else path


def read_desis_bands(path: str | Path) -> BandSet:
    """The band table of a DESIS product, from its image or its ``-METADATA.xml``.

    Raises:
        SpectralError: the XML is missing or damaged, or disagrees with the image's band count.
    """
    return _checked(_image(Path(path)))[1].bands


def open_desis(path: str | Path) -> ProductWindows:
    """A DESIS product opened for strips: DN x gain + offset as float32, NaN at no data."""
    import rasterio
    from rasterio.windows import Window

    image = _image(Path(path))
    xml, table = _checked(image)
    with rasterio.open(image) as src:
        crs, gt, height, width = src.crs, src.transform.to_gdal(), src.height, src.width
        nodata = table.background if table.background is not None else src.nodata
    gains = table.gains[:, None, None].astype(np.float32)
    offsets = table.offsets[:, None, None].astype(np.float32)

    def rows(r0: int, r1: int) -> np.ndarray:
        with rasterio.open(image) as src:
            raw = src.read(window=Window(0, r0, width, r1 - r0))
        data = raw.astype(np.float32) * gains
        data += offsets
        if nodata is not None:
            data[raw == nodata] = np.nan
        return data

    notes = (f"band table from {xml.name}; DN x gain + offset applied",
             f"no data: value {nodata:g}" if nodata is not None else "no nodata value declared")
    return ProductWindows(table.bands, height, width, crs.to_wkt() if crs else None, tuple(gt),
                          f"desis_{table.level.lower()}", notes, rows)


def read_desis(path: str | Path) -> ProductCube:
    """The whole DESIS product (see :func:`open_desis`)."""
    return open_desis(path).cube()
