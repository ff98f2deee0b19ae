#!/usr/bin/env python3
"""Write a tiny EMIT L2A reflectance granule in the real netCDF4/HDF5 layout (with h5py):
``reflectance`` (downtrack, crosstrack, bands) float32 with ``_FillValue`` -9999; group
``sensor_band_parameters`` with ``wavelengths`` (units nm), ``fwhm``, ``good_wavelengths``;
group ``location`` with ``glt_x``/``glt_y`` (ortho_y, ortho_x; 1-based, 0 = no swath pixel),
``lat``, ``lon``; root attributes ``geotransform`` and ``spatial_ref``. The band table is
hsiadapt's built-in EMIT table (equal to a real 2025 granule's); the water-vapour windows are
flagged bad in ``good_wavelengths`` as in the real product. The GLT rotates the swath into a
7 x 6 map grid. Seeded: python tests/data/emit_l2a/data.py
"""

import csv
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).parent
NAME = "EMIT_L2A_RFL_001_20230316T045133_2307503_005.nc"
DOWN, CROSS = 6, 5
OY, OX = 7, 6
WKT = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
       'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]')


def table() -> tuple[np.ndarray, np.ndarray]:
    src = HERE.parents[2] / "src" / "hsiadapt" / "spectral" / "_data" / "emit.csv"
    lines = [ln for ln in src.read_text().splitlines() if ln and not ln.startswith("#")]
    rows = list(csv.DictReader(lines))
    return (np.array([float(r["center_nm"]) for r in rows], np.float32),
            np.array([float(r["fwhm_nm"]) for r in rows], np.float32))


def main(root: Path = HERE / "root") -> None:
    rng = np.random.default_rng(285)
    root.mkdir(parents=True, exist_ok=True)
    wl, fwhm = table()
    good = ~(((wl > 1320) & (wl < 1450)) | ((wl > 1770) & (wl < 1960)))
    rfl = rng.uniform(0.02, 0.6, size=(DOWN, CROSS, wl.size)).astype(np.float32)
    rfl[:, :, ~good] = -0.01  # the product writes -0.01 into the bad bands
    rfl[2, 3, :] = -9999.0  # one swath pixel without data
    glt_x = np.zeros((OY, OX), np.int32)
    glt_y = np.zeros((OY, OX), np.int32)
    for d in range(DOWN):
        for c in range(CROSS):  # a skewed swath: each downtrack line shifts by one map column
            glt_y[d + (c % 2), min(c + d // 3, OX - 1)] = d + 1
            glt_x[d + (c % 2), min(c + d // 3, OX - 1)] = c + 1
    with h5py.File(root / NAME, "w") as h5:
        d = h5.create_dataset("reflectance", data=rfl)
        d.attrs["_FillValue"] = np.float32(-9999.0)
        d.attrs["units"] = "unitless"
        h5.attrs["geotransform"] = np.array([-117.25, 0.000542232520256, 0.0, 35.75, 0.0,
                                             -0.000542232520256])
        h5.attrs["spatial_ref"] = WKT
        h5.attrs["title"] = "EMIT L2A Estimated Surface Reflectance, 60 m, V001"
        sbp = h5.create_group("sensor_band_parameters")
        w = sbp.create_dataset("wavelengths", data=wl)
        w.attrs["units"] = "nm"
        w.attrs["long_name"] = "Wavelength Centers"
        sbp.create_dataset("fwhm", data=fwhm).attrs["units"] = "nm"
        sbp.create_dataset("good_wavelengths", data=good.astype(np.uint8))
        loc = h5.create_group("location")
        loc.create_dataset("glt_x", data=glt_x)
        loc.create_dataset("glt_y", data=glt_y)
        loc.create_dataset("lat", data=35.75 - 0.0005 * np.arange(DOWN)[:, None]
                           * np.ones((1, CROSS)))
        loc.create_dataset("lon", data=-117.25 + 0.0005 * np.arange(CROSS)[None, :]
                           * np.ones((DOWN, 1)))


if __name__ == "__main__":
    main()
