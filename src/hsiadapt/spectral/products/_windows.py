"""A product opened for reading in row strips: what lets ``predict`` stay within memory.

:class:`ProductWindows` holds a product's band table, grid and georeferencing (read once, cheap)
and reads any strip of rows ``[r0, r1)`` of the whole width on demand, in the product's physical
unit with NaN where it has no data, exactly as the whole-product readers give those rows (they
are this strip read over all rows). Only the strip's own bytes are read: a rasterio window
(EnMAP), an h5py row slice of both cubes (PRISMA), or the swath rows the GLT points at for the
strip, in chunks (EMIT).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hsiadapt.spectral.band import BandSet
from hsiadapt.spectral.products._cube import ProductCube

__all__ = ["ProductWindows"]


@dataclass(frozen=True, eq=False)
class ProductWindows:
    """A product's metadata and a reader of its row strips.

    Args:
        bands: the band table (see :class:`ProductCube`).
        height, width: the grid the strips are cut from (the orthorectified grid for EMIT).
        crs, transform, kind, notes: as :class:`ProductCube`.
        read_rows: ``(r0, r1) -> float32 (bands, r1 - r0, width)``, NaN where no data.
    """

    bands: BandSet
    height: int
    width: int
    crs: str | None
    transform: tuple[float, float, float, float, float, float] | None
    kind: str
    notes: tuple[str, ...]
    read_rows: Callable[[int, int], np.ndarray]

    def read(self, r0: int, r1: int) -> np.ndarray:
        """Rows ``[r0, r1)`` (clipped to the grid) as ``float32 (bands, rows, width)``."""
        r0, r1 = max(0, int(r0)), min(self.height, int(r1))
        if r1 <= r0:
            raise ValueError(f"empty row range [{r0}, {r1}) of a {self.height}-row product")
        out = self.read_rows(r0, r1)
        if out.shape != (len(self.bands), r1 - r0, self.width):
            raise ValueError(f"{self.kind}: strip of shape {out.shape}, expected "
                             f"{(len(self.bands), r1 - r0, self.width)}")
        return out

    def cube(self) -> ProductCube:
        """The whole product (every row) as a :class:`ProductCube`."""
        return ProductCube(self.read(0, self.height), self.bands, self.crs, self.transform,
                           self.kind, self.notes)
