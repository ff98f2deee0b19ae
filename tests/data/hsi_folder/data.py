#!/usr/bin/env python3
"""Write a tiny 'any hyperspectral folder' fixture: images/*.tif with per-band wavelength
metadata (GDAL tags, micrometres, a bad band, nodata -32768 and a scale tag as in EnMAP L2A),
masks/*.tif, splits/{train,val,test}.txt, plus an ENVI-format image with its .hdr.
Seeded: python tests/data/hsi_folder/data.py
"""

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

HERE = Path(__file__).parent
N, SIZE = 30, 6
WL_UM = np.linspace(0.40, 2.45, N)


def main(root: Path = HERE / "root") -> None:
    rng = np.random.default_rng(3)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    (root / "splits").mkdir(parents=True, exist_ok=True)
    prof = dict(driver="GTiff", width=SIZE, height=SIZE, count=N, dtype="float32",
                crs="EPSG:32633", transform=from_origin(366015, 5809965, 30, 30), nodata=-32768)
    names = [f"scene_{i}.tif" for i in range(5)]
    for k, name in enumerate(names):
        img = (2000 + 500 * rng.random((N, SIZE, SIZE))).astype(np.float32)
        img[12] = -32768  # bad band, all nodata
        if k == 0:
            img[:, 0, 0] = -32768  # one nodata pixel
        with rasterio.open(root / "images" / name, "w", **prof) as dst:
            dst.write(img)
            dst.scales = [1e-4] * N
            for b in range(N):
                dst.update_tags(b + 1, wavelength=f"{WL_UM[b]:.4f}", fwhm="0.010",
                                wavelength_units="Micrometers", bbl="0" if b == 12 else "1")
        m = rng.choice([0, 1, 2, 5], size=(SIZE, SIZE)).astype(np.uint8)
        mprof = dict(prof, count=1, dtype="uint8", nodata=None)
        with rasterio.open(root / "masks" / name, "w", **mprof) as dst:
            dst.write(m[None])
    (root / "splits" / "train.txt").write_text("\n".join(names[:3]) + "\n")
    (root / "splits" / "val.txt").write_text(names[3] + "\n")
    (root / "splits" / "test.txt").write_text(names[4] + "\n")
    # the same kind of data as ENVI BSQ (.img + .hdr), no split lists (seeded split)
    envi = root.parent / "root_envi" / "images"
    envi.mkdir(parents=True, exist_ok=True)
    for i in range(4):
        img = (1000 + 800 * rng.random((N, SIZE, SIZE))).astype("<f4")
        img.tofile(envi / f"flight_{i}.img")
        (envi / f"flight_{i}.hdr").write_text(
            "ENVI\ndescription = {hsiadapt test fixture}\n"
            f"samples = {SIZE}\nlines = {SIZE}\nbands = {N}\nheader offset = 0\n"
            "file type = ENVI Standard\ndata type = 4\ninterleave = bsq\nbyte order = 0\n"
            "wavelength units = Nanometers\n"
            "wavelength = {" + ", ".join(f"{1000 * w:.1f}" for w in WL_UM) + "}\n"
            "fwhm = {" + ", ".join("10.0" for _ in WL_UM) + "}\n")


if __name__ == "__main__":
    main()
