"""Hyperspectral products as the missions distribute them, recognised by content.

:func:`detect_product` says which reader a file needs; :func:`product_bands` reads only the band
table (what ``hsiadapt spectral`` needs); :func:`read_product` reads the whole cube with its
georeferencing (:class:`ProductCube`); :func:`open_product` opens it for row strips
(:class:`ProductWindows`). Supported: EnMAP L2A / L1C (GeoTIFF + ``-METADATA.XML``), DESIS L2A
(GeoTIFF + ``-METADATA.xml``), EMIT L2A RFL (netCDF4), PRISMA L2D (HDF-EOS5 ``.he5``; L2B/L2C
swaths read the same way).
"""

from __future__ import annotations

from pathlib import Path

from hsiadapt.spectral.band import BandSet, SpectralError
from hsiadapt.spectral.products._cube import ProductCube
from hsiadapt.spectral.products._windows import ProductWindows
from hsiadapt.spectral.products.desis import (
    is_desis_image,
    is_desis_metadata,
    open_desis,
    read_desis,
    read_desis_bands,
)
from hsiadapt.spectral.products.emit import is_emit, open_emit, read_emit, read_emit_bands
from hsiadapt.spectral.products.enmap import (
    is_enmap_image,
    is_enmap_metadata,
    open_enmap,
    read_enmap,
    read_enmap_bands,
)
from hsiadapt.spectral.products.prisma import (
    is_prisma_l2,
    open_prisma,
    read_prisma,
    read_prisma_bands,
)

__all__ = ["ProductCube", "ProductWindows", "detect_product", "open_product", "product_bands",
           "read_product"]


def _hdf5_kind(path: Path) -> str | None:
    import h5py

    if not h5py.is_hdf5(path):
        return None
    try:
        with h5py.File(path, "r") as h5:
            if is_emit(h5):
                return "emit"
            if is_prisma_l2(h5):
                return "prisma"
    except OSError:
        return None
    return None


def detect_product(path: str | Path) -> str | None:
    """``"enmap"``, ``"desis"``, ``"emit"``, ``"prisma"``, or ``None`` for a file that is none.

    EnMAP is recognised by the product's file names (``ENMAP...-SPECTRAL_IMAGE...`` or an XML
    with root ``level_X`` named ``...-METADATA.XML``); EMIT and PRISMA by their HDF5 contents, not
    by their names or extensions.
    """
    p = Path(path)
    if not p.is_file():
        return None
    if is_enmap_image(p) or is_enmap_metadata(p):
        return "enmap"
    if is_desis_image(p) or is_desis_metadata(p):
        return "desis"
    return _hdf5_kind(p)


def product_bands(path: str | Path) -> BandSet:
    """The band table a product carries (see :func:`detect_product`).

    Raises:
        SpectralError: not a known product, or its metadata disagree with its data.
    """
    kind = detect_product(path)
    if kind == "enmap":
        return read_enmap_bands(path)
    if kind == "desis":
        return read_desis_bands(path)
    if kind == "emit":
        return read_emit_bands(path)
    if kind == "prisma":
        return read_prisma_bands(path)
    raise SpectralError(f"{path}: not an EnMAP, DESIS, EMIT or PRISMA product")


def open_product(path: str | Path) -> ProductWindows:
    """The product opened for reading in row strips (what ``predict`` uses; see
    :class:`ProductWindows`)."""
    kind = detect_product(path)
    if kind == "enmap":
        return open_enmap(path)
    if kind == "desis":
        return open_desis(path)
    if kind == "emit":
        return open_emit(path)
    if kind == "prisma":
        return open_prisma(path)
    raise SpectralError(f"{path}: not an EnMAP, DESIS, EMIT or PRISMA product")


def read_product(path: str | Path) -> ProductCube:
    """The whole product: scaled cube, band table, CRS and geotransform, and notes."""
    kind = detect_product(path)
    if kind == "enmap":
        return read_enmap(path)
    if kind == "desis":
        return read_desis(path)
    if kind == "emit":
        return read_emit(path)
    if kind == "prisma":
        return read_prisma(path)
    raise SpectralError(f"{path}: not an EnMAP, DESIS, EMIT or PRISMA product")
