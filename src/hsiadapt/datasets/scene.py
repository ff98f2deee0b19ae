"""A whole scene opened for reading in row strips on the sample scale: what ``predict`` reads.

:func:`open_scene` takes a mission product (EnMAP / EMIT / PRISMA, :mod:`hsiadapt.spectral.products`)
or any GDAL raster (GeoTIFF, ENVI) and gives a :class:`SceneStrips`: its size, georeferencing
and a reader of rows ``[r0, r1)`` of the whole width as ``(image float32 (C, rows, W) on the
sample scale, valid bool (rows, W))`` - per pixel the values :func:`~.product.read_product_image`
and :func:`~.raster.read_image` give for the whole scene, so a scene is never held in memory
at once. The whole-file checks of :func:`~.raster.read_image` (unscaled reflectance, damaged
bytes) run on each strip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hsiadapt.datasets.base import SAMPLE_SCALE, HSIDataError
from hsiadapt.datasets.product import Georef
from hsiadapt.datasets.raster import DATASET_SCALE_FIX

__all__ = ["SceneStrips", "open_scene"]


@dataclass(frozen=True, eq=False)
class SceneStrips:
    """A scene's size and georeferencing (``None``: take the raster's own) and a strip reader."""

    path: Path
    count: int
    height: int
    width: int
    georef: Georef | None
    read_rows: Callable[[int, int], tuple[np.ndarray, np.ndarray]]

    def read(self, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``[r0, r1)`` (clipped to the scene): ``(image (C, rows, W), valid (rows, W))``."""
        r0, r1 = max(0, int(r0)), min(self.height, int(r1))
        if r1 <= r0:
            raise ValueError(f"{self.path}: empty row range [{r0}, {r1}) of {self.height} rows")
        return self.read_rows(r0, r1)


def open_scene(path: str | Path, n_bands: int, *, valid_bands: np.ndarray | None = None,
               reflectance_scale: float | None = None,
               unscaled_fix: str | None = DATASET_SCALE_FIX) -> SceneStrips:
    """Open ``path`` (a product, or a raster's data file) for strips of ``n_bands`` bands.

    Args:
        reflectance_scale: for a raster, file value x scale = reflectance (see
            :func:`~.raster.read_image`); products carry their own scale.
        unscaled_fix: the fix a float 0-1 raster without a scale is refused with, in the
            caller's terms (``None``: read it as DN).

    Raises:
        HSIDataError: unreadable file, or a band count other than ``n_bands``.
    """
    from hsiadapt.datasets.product import is_product

    p = Path(path)
    if is_product(p):
        return _product(p, n_bands, valid_bands)
    return _raster(p, n_bands, valid_bands, reflectance_scale, unscaled_fix)


def _product(p: Path, n_bands: int, valid_bands: np.ndarray | None) -> SceneStrips:
    from hsiadapt.spectral import SpectralError
    from hsiadapt.spectral.products import open_product

    try:
        prod = open_product(p)
    except (SpectralError, OSError) as err:
        raise HSIDataError(str(err)) from None
    if len(prod.bands) != n_bands:
        raise HSIDataError(f"{p}: the product has {len(prod.bands)} bands but the band table "
                           f"has {n_bands}; give the product's own table")
    vb = np.ones(n_bands, bool) if valid_bands is None else np.asarray(valid_bands, bool)

    def rows(r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
        data = prod.read(r0, r1)
        bad = ~np.isfinite(data)
        valid = ~bad[vb].any(axis=0)
        data *= np.float32(SAMPLE_SCALE)
        data[bad] = 0.0
        data[~vb] = 0.0
        return data, valid

    return SceneStrips(p, n_bands, prod.height, prod.width, (prod.crs, prod.transform), rows)


def _raster(p: Path, n_bands: int, valid_bands: np.ndarray | None,
            reflectance_scale: float | None, unscaled_fix: str | None) -> SceneStrips:
    from rasterio.errors import RasterioIOError
    from rasterio.windows import Window

    from hsiadapt.datasets.raster import declared_scale, open_raster, to_sample_scale

    with open_raster(p) as src:
        if src.count != n_bands:
            raise HSIDataError(f"{p}: has {src.count} bands but the band table has {n_bands}; "
                               "this file belongs to another product or band list")
        height, width, nodata = src.height, src.width, src.nodata
        file_dtype = np.dtype(src.dtypes[0])
        tag_scale = declared_scale(p, src) if reflectance_scale is None else None

    def rows(r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
        with open_raster(p) as src:
            try:
                raw = src.read(out_dtype="float32", window=Window(0, r0, width, r1 - r0))
            except RasterioIOError as err:
                raise HSIDataError(f"{p}: pixel data unreadable ({err}); file truncated?"
                                   ) from None
        return to_sample_scale(p, raw, n_bands, nodata=nodata, file_dtype=file_dtype,
                               tag_scale=tag_scale, reflectance_scale=reflectance_scale,
                               valid_bands=valid_bands, unscaled_fix=unscaled_fix)

    return SceneStrips(p, n_bands, height, width, None, rows)
