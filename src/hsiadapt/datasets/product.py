"""A mission product (EnMAP L2A/L1C, EMIT L2A RFL, PRISMA L2D) read onto the sample scale.

The reader of :mod:`hsiadapt.spectral.products` gives physical values (reflectance 0-1 for the
L2 products) with NaN where the product has no data; here they become what the loaders give
(reflectance x 10000, no-data pixels 0 and invalid) with the product's CRS and geotransform.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hsiadapt.datasets.base import SAMPLE_SCALE, HSIDataError
from hsiadapt.spectral import SpectralError

__all__ = ["Georef", "is_product", "read_product_image"]

#: (CRS as WKT or "EPSG:n", GDAL geotransform), either may be None
Georef = tuple[str | None, tuple[float, ...] | None]


def is_product(path: str | Path) -> bool:
    """True when ``path`` is a product :func:`read_product_image` reads (decided by content)."""
    from hsiadapt.spectral.products import detect_product

    return detect_product(path) is not None


def read_product_image(
    path: str | Path, n_bands: int, *, valid_bands: np.ndarray | None = None,
    window: tuple[int, int, int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray, Georef]:
    """``(image float32 (C, H, W) on the sample scale, valid bool (H, W), georef)``.

    Pixels where the product has no data (NaN in any good band) are 0 and invalid; bad bands
    are 0. ``window`` ``(row, col, height, width)``: only those pixels, read as a strip of
    their rows (:class:`~hsiadapt.spectral.products.ProductWindows`), never the whole product;
    the georef is then still the whole product's.

    Raises:
        HSIDataError: the product cannot be read, or its band count is not ``n_bands``.
    """
    from hsiadapt.spectral.products import open_product, read_product

    try:
        if window is None:
            cube = read_product(path)
            data, georef = cube.data, (cube.crs, cube.transform)
        else:
            r, c, h, w = window
            prod = open_product(path)
            data, georef = prod.read(r, r + h)[:, :, c:c + w], (prod.crs, prod.transform)
    except (SpectralError, OSError) as err:
        raise HSIDataError(str(err)) from None
    if data.shape[0] != n_bands:
        raise HSIDataError(f"{path}: the product has {data.shape[0]} bands but the band "
                           f"table has {n_bands}; give the product's own table")
    vb = np.ones(n_bands, bool) if valid_bands is None else np.asarray(valid_bands, bool)
    bad = ~np.isfinite(data)
    valid = ~bad[vb].any(axis=0)
    image = np.where(bad, 0.0, data * np.float32(SAMPLE_SCALE)).astype(np.float32)
    image[~vb] = 0.0
    return image, valid, georef
