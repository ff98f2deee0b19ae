"""What every product reader returns: the cube, its band table, where it lies, and what was done."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hsiadapt.spectral.band import BandSet

__all__ = ["ProductCube"]


@dataclass(frozen=True, eq=False)
class ProductCube:
    """A hyperspectral product read as distributed.

    Args:
        data: ``(bands, rows, cols)`` float32 in the product's physical unit (reflectance 0-1 for
            EnMAP L2A, EMIT L2A and PRISMA L2D; radiance for EnMAP L1C), NaN where the product
            has no data. Scale factors are applied.
        bands: the band table the product carries, in the order of ``data``; bad bands (from the
            product's own list) have ``valid = False``.
        crs: the coordinate reference system as WKT or ``"EPSG:n"``, or ``None``.
        transform: GDAL geotransform ``(x0, dx, 0, y0, 0, dy)`` of the upper-left pixel corner,
            in the CRS's units (metres or degrees), or ``None``.
        kind: the product type, e.g. ``"enmap_l2a"``, ``"emit_l2a_rfl"``, ``"prisma_l2d"``.
        notes: what the reader did beyond copying numbers (overlap resolved, bands masked...).
    """

    data: np.ndarray
    bands: BandSet
    crs: str | None
    transform: tuple[float, float, float, float, float, float] | None
    kind: str
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.data.ndim != 3 or self.data.shape[0] != len(self.bands):
            raise ValueError(f"cube of shape {self.data.shape} for {len(self.bands)} bands")
