"""A folder whose files disagree with each other or hold impossible values is noticed (issue 22):
a mask on another grid, flipped bytes in a chip, a mask's nodata tag. Each test here fails on
the code before the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

from hsiadapt.data.check import check_dataset
from hsiadapt.datasets import HSIFolder

N = 30
WL = np.linspace(400, 2450, N)
ORIGIN = (366015.0, 5809965.0)


def make_folder(root: Path, *, n: int = 8, size: int = 6, mask_nodata: float | None = None,
                dtype: str = "int16") -> Path:
    """Eight chips of reflectance x 10000 (``dtype``) with wavelength tags and uint8 masks on
    the same grid (EPSG:32633, 30 m); masks carry ``nodata=mask_nodata`` when given and then
    hold that code in their first row."""
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    prof = dict(driver="GTiff", width=size, height=size, count=N, dtype=dtype,
                crs="EPSG:32633", transform=from_origin(*ORIGIN, 30, 30))
    for i in range(n):
        img = np.round(1000 + 3000 * rng.random((N, size, size)))
        with rasterio.open(root / "images" / f"s{i}.tif", "w", **prof) as dst:
            dst.write(img.astype(dtype))
            for b in range(N):
                dst.update_tags(b + 1, wavelength=f"{WL[b]:.1f}", wavelength_units="nm")
        m = rng.choice([0, 1, 2], size=(size, size)).astype(np.uint8)
        if mask_nodata is not None:
            m[0] = mask_nodata
        with rasterio.open(root / "masks" / f"s{i}.tif", "w",
                           **dict(prof, count=1, dtype="uint8", nodata=mask_nodata)) as dst:
            dst.write(m[None])
    return root


# -- item 9: a mask's nodata tag ---------------------------------------------------------------
def test_mask_nodata_tag_is_not_a_class(tmp_path):
    root = make_folder(tmp_path / "r", mask_nodata=255)
    ds = HSIFolder(root, "all")
    assert ds.class_codes == (0, 1, 2)  # 255 was scanned as a fourth class
    mask = ds[0]["mask"].numpy()
    assert (mask[0] == ds.ignore_index).all() and (mask[1:] >= 0).all()
    # declared classes: 255 is not an unknown code either (a run would stop on it)
    rep = check_dataset("hsi_folder", root, dataset_args={"class_codes": [0, 1, 2]})
    assert rep.unknown_codes == {} and "255" not in rep.class_histogram
    assert not [p for p in rep.problems if "255" in p]
    assert HSIFolder(root, "all", class_codes=[0, 1, 2])[0]["mask"][0].eq(-1).all()
