"""Label rasters onto a mission product's grid (for :mod:`hsiadapt.datasets.folder`).

A product (EnMAP L2A, EMIT L2A, PRISMA L2D) comes on its own grid - UTM for EnMAP and PRISMA,
a geographic grid for EMIT's orthorectified cube - while labels usually come from elsewhere (a
land-cover map, a field survey rasterised in another CRS or pixel size). Where the label raster's
CRS, transform or size differ from the product's, it is reprojected onto the product's grid with
``rasterio.warp.reproject`` and nearest-neighbour resampling (class codes must not be averaged);
product pixels the labels do not cover, and the labels' own nodata, become unlabelled. A label
raster that covers none of the product is refused. :func:`grid_note` says what was done.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hsiadapt.datasets.base import HSIDataError

__all__ = ["ProductGrid", "grid_note", "labels_on_grid", "product_grid"]

_FILL = np.iinfo(np.int32).min  # marks target pixels the labels do not cover


@dataclass(frozen=True)
class ProductGrid:
    """A product's grid: CRS (WKT or ``EPSG:n``), GDAL geotransform and ``(rows, cols)``."""

    crs: str | None
    transform: tuple[float, ...] | None
    shape: tuple[int, int]


_GRIDS: dict[tuple, ProductGrid] = {}


def product_grid(path: Path) -> ProductGrid:
    """The grid of the product at ``path`` (metadata only; read once per unchanged file)."""
    from hsiadapt.spectral import SpectralError
    from hsiadapt.spectral.products import open_product

    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _GRIDS:
        try:
            prod = open_product(path)
        except (SpectralError, OSError) as err:
            raise HSIDataError(str(err)) from None
        _GRIDS[key] = ProductGrid(prod.crs, prod.transform, (prod.height, prod.width))
    return _GRIDS[key]


def _label_grid(mask: Path):
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(mask) as src:
            return src.crs, src.transform, (src.height, src.width)


def _same(grid: ProductGrid, mask: Path) -> bool:
    import rasterio

    crs, transform, shape = _label_grid(mask)
    if grid.crs is None or grid.transform is None or crs is None:
        return shape == grid.shape  # nothing to reproject with: the sizes must agree
    target = rasterio.Affine.from_gdal(*grid.transform)
    return (shape == grid.shape and crs == rasterio.crs.CRS.from_user_input(grid.crs)
            and transform.almost_equals(target, precision=1e-6 * max(abs(target.a), 1e-12)))


def grid_note(grid: ProductGrid, mask: Path, image: Path) -> str | None:
    """What :func:`labels_on_grid` does to ``mask``: ``None`` when it is on the product's grid."""
    if _same(grid, mask):
        return None
    crs, transform, shape = _label_grid(mask)
    if crs is None or grid.crs is None or grid.transform is None:
        raise HSIDataError(
            f"{mask}: {shape[0]} x {shape[1]} pixels where its product {image} has "
            f"{grid.shape[0]} x {grid.shape[1]}, and one of them has no georeferencing to "
            "reproject with; give the labels a CRS and transform (or export them on the "
            "product's grid)")
    return (f"labels {mask.name}: reprojected onto the grid of {image.name} (nearest "
            f"neighbour): from {crs.to_string()}, {abs(transform.a):g} x {abs(transform.e):g} "
            f"px, {shape[0]} x {shape[1]} to {_crs_name(grid.crs)}, "
            f"{abs(grid.transform[1]):g} x {abs(grid.transform[5]):g} px, "
            f"{grid.shape[0]} x {grid.shape[1]}")


def _crs_name(crs: str) -> str:
    import rasterio

    return rasterio.crs.CRS.from_user_input(crs).to_string()


def labels_on_grid(mask: Path, grid: ProductGrid, image: Path) -> np.ma.MaskedArray:
    """The label raster's band 1 on the product's grid (int64, unlabelled pixels masked).

    Raises:
        HSIDataError: the labels cannot be placed on the grid, or cover none of the product.
    """
    import rasterio
    from rasterio.warp import Resampling, reproject

    from hsiadapt.datasets.raster import read_mask

    raw = read_mask(mask)
    if _same(grid, mask):
        return raw
    grid_note(grid, mask, image)  # raises when there is nothing to reproject with
    assert grid.crs is not None and grid.transform is not None
    crs, transform, _shape = _label_grid(mask)
    src = np.where(np.ma.getmaskarray(raw), _FILL, np.ma.getdata(raw)).astype(np.int32)
    dst = np.full(grid.shape, _FILL, dtype=np.int32)
    reproject(src, dst, src_transform=transform, src_crs=crs, src_nodata=_FILL,
              dst_transform=rasterio.Affine.from_gdal(*grid.transform),
              dst_crs=rasterio.crs.CRS.from_user_input(grid.crs), dst_nodata=_FILL,
              resampling=Resampling.nearest)
    none = dst == _FILL
    if none.all():
        raise HSIDataError(
            f"{mask}: reprojected onto the grid of {image}, it covers none of the product's "
            "pixels: the labels are of other ground. Pair each product with its own labels")
    return np.ma.MaskedArray(np.where(none, 0, dst).astype(np.int64), mask=none)
