"""Products read in row strips (what ``predict`` does to stay within memory): any partition of a
product's rows into strips gives exactly the whole product - values, NaNs and grid - for the
EnMAP, DESIS, EMIT and PRISMA fixtures in their real layouts, EMIT also when its GLT's swath rows are
read in chunks smaller than a strip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hsiadapt.spectral.products import detect_product, open_product
from hsiadapt.spectral.products import emit as emit_mod

DATA = Path(__file__).resolve().parents[1] / "data"
PRODUCTS = {
    "enmap": next((DATA / "enmap_l2a" / "root").glob("*/*-SPECTRAL_IMAGE.TIF")),
    "desis": next((DATA / "desis_l2a" / "root").glob("*/*-SPECTRAL_IMAGE.tif")),
    "emit": next((DATA / "emit_l2a" / "root").glob("*.nc")),
    "prisma": next((DATA / "prisma_l2d" / "root").glob("*.he5")),
}


def _whole(path: Path) -> np.ndarray:
    """The product as the whole-file readers give it (independent of the strip reader's rows)."""
    import h5py

    if detect_product(path) == "emit":  # orthorectified here from the whole swath, in numpy
        with h5py.File(path, "r") as h5:
            swath = h5["reflectance"][()].astype(np.float32)
            good = h5["sensor_band_parameters"]["good_wavelengths"][()] != 0
            gx, gy = h5["location"]["glt_x"][()], h5["location"]["glt_y"][()]
        swath[swath == -9999.0] = np.nan
        swath[:, :, ~good] = np.nan
        out = np.full((swath.shape[2], *gx.shape), np.nan, np.float32)
        for r, c in zip(*np.nonzero((gx > 0) & (gy > 0)), strict=True):
            out[:, r, c] = swath[gy[r, c] - 1, gx[r, c] - 1]
        return out
    return open_product(path).read(0, open_product(path).height)


@pytest.mark.parametrize("kind", sorted(PRODUCTS))
@pytest.mark.parametrize("step", [1, 2, 3])
def test_strips_tile_the_whole_product(kind, step, monkeypatch):
    monkeypatch.setattr(emit_mod, "SWATH_CHUNK", 2)  # several swath reads per strip
    path = PRODUCTS[kind]
    prod = open_product(path)
    whole = _whole(path)
    assert whole.shape == (len(prod.bands), prod.height, prod.width)
    strips = [prod.read(r, r + step) for r in range(0, prod.height, step)]
    assert all(s.shape[1] <= step for s in strips)
    np.testing.assert_array_equal(np.concatenate(strips, axis=1), whole)  # NaNs in place too
    assert np.isnan(whole).any() and np.isfinite(whole).any()


def test_an_empty_row_range_is_refused():
    prod = open_product(PRODUCTS["enmap"])
    with pytest.raises(ValueError, match="empty row range"):
        prod.read(prod.height, prod.height + 4)
