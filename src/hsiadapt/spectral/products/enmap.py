"""EnMAP L2A / L1C products: a GeoTIFF whose band table lives in the sibling ``-METADATA.XML``.

A product folder holds ``<name>-SPECTRAL_IMAGE.TIF`` (or ``..._COG.TIF``) and
``<name>-METADATA.XML``. The XML (root ``level_X``) lists one
``specific/bandCharacterisation/bandID`` element per band (attribute ``number``, 1-based) with
``wavelengthCenterOfBand`` and ``FWHMOfBand`` in nm and ``GainOfBand`` / ``OffsetOfBand``
(physical value = DN x gain + offset). The element names are the ones the EnMAP-Box's importer
reads (EnMAP-Box f9e8f486, enmapboxprocessing/algorithm/importenmapl2aalgorithm.py:117-121:
``root.findall('specific/bandCharacterisation/bandID/wavelengthCenterOfBand')``). Bands the
product filled with no data have ``stdDeviation`` 0 and ``mean`` -1000000 under
``product/bandStatistics/bandID`` (the same file, lines 122-123 and 164-166); they are marked bad.
"""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hsiadapt.spectral._parse import floats, unit_scale
from hsiadapt.spectral.band import BandSet, SpectralError
from hsiadapt.spectral.products._cube import ProductCube
from hsiadapt.spectral.products._windows import ProductWindows

__all__ = ["is_enmap_image", "metadata_xml_for", "open_enmap", "read_enmap", "read_enmap_bands"]

_MARKER = "-SPECTRAL_IMAGE"
_BANDS = "specific/bandCharacterisation/bandID"


def is_enmap_image(path: Path) -> bool:
    """True for a file named like an EnMAP product's spectral image (``ENMAP...-SPECTRAL_IMAGE``)."""
    name = path.name.upper()
    return name.startswith("ENMAP") and _MARKER in name


def is_enmap_metadata(path: Path) -> bool:
    """True for an EnMAP ``-METADATA.XML`` (an XML whose root is ``level_X``)."""
    if not path.name.upper().endswith("-METADATA.XML"):
        return False
    with path.open("rb") as f:
        return b"<level_X" in f.read(4096)


def metadata_xml_for(image: Path) -> Path:
    """The ``-METADATA.XML`` path that belongs beside ``image`` (it may not exist)."""
    stem = image.name[: image.name.upper().index(_MARKER)]
    for cand in (f"{stem}-METADATA.XML", f"{stem}-METADATA.xml"):
        if (image.parent / cand).exists():
            return image.parent / cand
    return image.parent / f"{stem}-METADATA.XML"


def image_for(xml: Path) -> Path:
    """The spectral image beside an EnMAP ``-METADATA.XML``."""
    stem = xml.name[: -len("-METADATA.XML")]
    for suffix in (".TIF", ".tif", "_COG.TIF", "_COG.tif", ".TIFF", ".tiff"):
        cand = xml.parent / f"{stem}{_MARKER}{suffix}"
        if cand.exists():
            return cand
    raise SpectralError(
        f"{xml}: no {stem}{_MARKER}.TIF beside it; the EnMAP product folder is incomplete "
        "(unzip the whole product)")


@dataclass(frozen=True)
class _Table:
    bands: BandSet
    gains: np.ndarray
    offsets: np.ndarray
    level: str


def _parse(xml: Path) -> _Table:
    where = str(xml)
    try:
        root = ET.parse(xml).getroot()
    except ET.ParseError as err:
        raise SpectralError(f"{where}: not readable XML ({err}); re-extract the product") from None
    elems = root.findall(_BANDS)
    if not elems:
        raise SpectralError(
            f"{where}: no {_BANDS} elements, so no band table; is this an EnMAP L1C/L2A "
            "METADATA.XML? Pass the band table with --wavelengths otherwise")
    numbers = [int(e.get("number", "0")) for e in elems]
    if sorted(numbers) != list(range(1, len(elems) + 1)):
        raise SpectralError(f"{where}: bandID numbers are not 1..{len(elems)}; the XML is damaged")
    elems = [e for _, e in sorted(zip(numbers, elems, strict=True), key=lambda t: t[0])]

    def column(tag: str, default: str | None = None) -> np.ndarray:
        vals = [e.findtext(tag, default) for e in elems]
        if any(v is None for v in vals):
            raise SpectralError(f"{where}: a bandID element has no {tag}; the XML is damaged")
        return floats([str(v) for v in vals], tag, where)

    centers = column("wavelengthCenterOfBand")
    unit = elems[0].find("wavelengthCenterOfBand").get("unit")  # type: ignore[union-attr]
    scale = unit_scale(unit, centers, where)
    valid = _filled_bands(root, len(elems), where)
    bands = BandSet.from_wavelengths(centers * scale, column("FWHMOfBand") * scale, valid=valid,
                                     name=xml.name[: -len("-METADATA.XML")], order="detectors")
    level = (root.findtext("base/level") or root.findtext("metadata/schema/processingLevel")
             or "L2A").strip()
    return _Table(bands, column("GainOfBand", "1"), column("OffsetOfBand", "0"), level)


def _filled_bands(root: ET.Element, n: int, where: str) -> np.ndarray:
    """False for the bands bandStatistics says are all no data (mean -1000000, stdDeviation 0)."""
    stats = {int(e.get("number", "0")): e for e in root.findall("product/bandStatistics/bandID")}
    valid = np.ones(n, dtype=bool)
    for k, e in stats.items():
        mean, std = e.findtext("mean"), e.findtext("stdDeviation")
        if 1 <= k <= n and mean is not None and std is not None:
            m, s = floats([mean, std], "bandStatistics", where)
            valid[k - 1] = not (m == -1000000 and s == 0)
    return valid


def _xml_of(image: Path) -> Path:
    xml = metadata_xml_for(image)
    if not xml.exists():
        raise SpectralError(
            f"{image}: an EnMAP product image, but {xml.name} is not beside it, and the band "
            "centres and FWHM live there. Keep the product folder whole (unzip all of it), or "
            "give the band table separately (--wavelengths FILE or a sensor name such as enmap)")
    return xml


def _band_count(image: Path) -> int:
    import rasterio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with rasterio.open(image) as src:
            return int(src.count)


def _checked(image: Path) -> tuple[Path, _Table]:
    xml = _xml_of(image)
    table = _parse(xml)
    n = _band_count(image)
    if n != len(table.bands):
        raise SpectralError(
            f"{image} has {n} bands but {xml.name} describes {len(table.bands)} "
            f"({_BANDS}): the two files are not from the same product. Put the image beside "
            "its own METADATA.XML")
    return xml, table


def read_enmap_bands(path: str | Path) -> BandSet:
    """The band table of an EnMAP product, from its image or its ``-METADATA.XML``.

    Raises:
        SpectralError: the XML is missing or damaged, or disagrees with the image's band count.
    """
    p = Path(path)
    image = image_for(p) if is_enmap_metadata(p) else p
    return _checked(image)[1].bands


def open_enmap(path: str | Path) -> ProductWindows:
    """An EnMAP product opened for strips: DN x gain + offset as float32, NaN at nodata.

    Raises:
        SpectralError: the XML is missing or damaged, or disagrees with the image's band count.
    """
    import rasterio
    from rasterio.windows import Window

    p = Path(path)
    image = image_for(p) if is_enmap_metadata(p) else p
    xml, table = _checked(image)
    with rasterio.open(image) as src:
        crs, gt, height, width = src.crs, src.transform.to_gdal(), src.height, src.width
    gains = table.gains[:, None, None].astype(np.float32)
    offsets = table.offsets[:, None, None].astype(np.float32)

    def rows(r0: int, r1: int) -> np.ndarray:
        with rasterio.open(image) as src:
            raw = src.read(window=Window(0, r0, width, r1 - r0))
            nodata = src.nodata
        data = raw.astype(np.float32) * gains
        data += offsets
        if nodata is not None:
            data[raw == nodata] = np.nan
        return data

    notes = [f"band table from {xml.name}; DN x GainOfBand + OffsetOfBand applied"]
    if not table.bands.valid.all():
        notes.append(f"{int((~table.bands.valid).sum())} bands filled with no data marked bad")
    return ProductWindows(table.bands, height, width, crs.to_wkt() if crs else None, tuple(gt),
                          f"enmap_{table.level.lower()}", tuple(notes), rows)


def read_enmap(path: str | Path) -> ProductCube:
    """The whole EnMAP product: DN x gain + offset as float32, NaN at the image's nodata."""
    return open_enmap(path).cube()
