#!/usr/bin/env python3
"""Write a tiny PRISMA L2D product in the real HDF-EOS5 layout (with h5py):
``HDFEOS/SWATHS/PRS_L2D_HCO/Data Fields/VNIR_Cube`` (rows, 66 bands, cols) and ``SWIR_Cube``
(rows, 173, cols), uint16, bands stored from the longest wavelength down; ``Geolocation
Fields/Latitude``, ``Longitude``; root attributes ``List_Cw_Vnir``/``List_Fwhm_Vnir``,
``List_Cw_Swir``/``List_Fwhm_Swir`` (0 for the bands not delivered: 3 VNIR, 2 SWIR, as in real
products), ``L2ScaleVnirMin/Max``, ``L2ScaleSwirMin/Max``, ``Epsg_Code``,
``Product_ULcorner_easting/northing``, ``Product_LRcorner_easting/northing``. The centres are
hsiadapt's built-in PRISMA table. One pixel is 0 in every band (no data).
Seeded: python tests/data/prisma_l2d/data.py
"""

import csv
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).parent
NAME = "PRS_L2D_STD_20200627102358_20200627102402_0001.he5"
ROWS, COLS = 4, 5
N_VNIR = 63  # delivered VNIR bands in the built-in table (then 171 SWIR)


def table() -> tuple[np.ndarray, np.ndarray]:
    src = HERE.parents[2] / "src" / "hsiadapt" / "spectral" / "_data" / "prisma.csv"
    lines = [ln for ln in src.read_text().splitlines() if ln and not ln.startswith("#")]
    rows = list(csv.DictReader(lines))
    return (np.array([float(r["center_nm"]) for r in rows], np.float32),
            np.array([float(r["fwhm_nm"]) for r in rows], np.float32))


def main(root: Path = HERE / "root") -> None:
    rng = np.random.default_rng(239)
    root.mkdir(parents=True, exist_ok=True)
    cw, fw = table()
    vc = np.concatenate([cw[:N_VNIR][::-1], np.zeros(3, np.float32)])  # decreasing, then unused
    vf = np.concatenate([fw[:N_VNIR][::-1], np.zeros(3, np.float32)])
    sc = np.concatenate([cw[N_VNIR:][::-1], np.zeros(2, np.float32)])
    sf = np.concatenate([fw[N_VNIR:][::-1], np.zeros(2, np.float32)])
    vnir = rng.integers(1, 65535, size=(ROWS, vc.size, COLS)).astype(np.uint16)
    swir = rng.integers(1, 65535, size=(ROWS, sc.size, COLS)).astype(np.uint16)
    vnir[:, vc == 0, :] = 0
    swir[:, sc == 0, :] = 0
    vnir[3, :, 4] = 0  # a pixel without data
    swir[3, :, 4] = 0
    with h5py.File(root / NAME, "w") as h5:
        fields = h5.create_group("HDFEOS/SWATHS/PRS_L2D_HCO/Data Fields")
        fields.create_dataset("VNIR_Cube", data=vnir)
        fields.create_dataset("SWIR_Cube", data=swir)
        geo = h5.create_group("HDFEOS/SWATHS/PRS_L2D_HCO/Geolocation Fields")
        geo.create_dataset("Latitude", data=np.full((ROWS, COLS), 45.5, np.float32))
        geo.create_dataset("Longitude", data=np.full((ROWS, COLS), 9.2, np.float32))
        a = h5.attrs
        a["List_Cw_Vnir"], a["List_Fwhm_Vnir"] = vc, vf
        a["List_Cw_Swir"], a["List_Fwhm_Swir"] = sc, sf
        a["L2ScaleVnirMin"], a["L2ScaleVnirMax"] = np.float32(0.0), np.float32(0.7)
        a["L2ScaleSwirMin"], a["L2ScaleSwirMax"] = np.float32(0.0), np.float32(0.55)
        a["Epsg_Code"] = np.int32(32632)
        a["Product_ULcorner_easting"], a["Product_ULcorner_northing"] = 500015.0, 5039985.0
        a["Product_LRcorner_easting"] = 500015.0 + 30.0 * (COLS - 1)
        a["Product_LRcorner_northing"] = 5039985.0 - 30.0 * (ROWS - 1)
        a["Processing_Level"] = "2D"
        a["Product_ID"] = "PRS_L2D_STD"


if __name__ == "__main__":
    main()
