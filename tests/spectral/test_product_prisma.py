"""PRISMA L2D products as downloaded (tests/data/prisma_l2d): VNIR + SWIR joined in wavelength
order with the overlap resolved, scale factors applied, georeferencing from the corner
attributes; each number checked against the file's own."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from hsiadapt.cli import main
from hsiadapt.spectral import SpectralError
from hsiadapt.spectral.io import load_bandset
from hsiadapt.spectral.products import detect_product, read_product
from hsiadapt.spectral.products.prisma import read_prisma, read_prisma_bands

HE5 = next((Path(__file__).parents[1] / "data" / "prisma_l2d" / "root").glob("*.he5"))
FIELDS = "HDFEOS/SWATHS/PRS_L2D_HCO/Data Fields"


def _attrs() -> dict:
    with h5py.File(HE5, "r") as h5:
        return {k: np.asarray(v) for k, v in h5.attrs.items()}


def test_band_table_joins_vnir_and_swir_in_wavelength_order():
    assert detect_product(HE5) == "prisma"
    a = _attrs()
    vnir = np.sort(a["List_Cw_Vnir"][a["List_Cw_Vnir"] > 0])
    swir = np.sort(a["List_Cw_Swir"][a["List_Cw_Swir"] > 0])
    bands = load_bandset(HE5)
    # default: the VNIR bands kept, SWIR bands at or below the last VNIR centre dropped
    want = np.concatenate([vnir, swir[swir > vnir.max()]])
    np.testing.assert_array_equal(bands.centers, want)
    assert np.all(np.diff(bands.centers) > 0)
    fw = dict(zip(np.concatenate([a["List_Cw_Vnir"], a["List_Cw_Swir"]]),
                  np.concatenate([a["List_Fwhm_Vnir"], a["List_Fwhm_Swir"]]), strict=True))
    np.testing.assert_array_equal(bands.fwhm, [fw[c] for c in bands.centers])
    swir_first = read_prisma_bands(HE5, overlap="swir")
    np.testing.assert_array_equal(swir_first.centers,
                                  np.concatenate([vnir[vnir < swir.min()], swir]))
    assert len(read_prisma_bands(HE5, overlap="keep")) == vnir.size + swir.size == 234


def test_cube_is_scaled_reflectance_with_the_products_georeferencing():
    cube = read_product(HE5)
    a = _attrs()
    with h5py.File(HE5, "r") as h5:
        vnir, swir = h5[f"{FIELDS}/VNIR_Cube"][()], h5[f"{FIELDS}/SWIR_Cube"][()]
    lo, hi = float(a["L2ScaleVnirMin"]), float(a["L2ScaleVnirMax"])
    for k in (0, 30, 62):  # VNIR bands: find each by its centre in the stored (decreasing) order
        j = int(np.flatnonzero(a["List_Cw_Vnir"] == cube.bands.centers[k])[0])
        want = lo + vnir[:, j, :].astype(np.float64) * (hi - lo) / 65535
        np.testing.assert_allclose(cube.data[k][:3], want[:3], rtol=1e-6)
    lo, hi = float(a["L2ScaleSwirMin"]), float(a["L2ScaleSwirMax"])
    j = int(np.flatnonzero(a["List_Cw_Swir"] == cube.bands.centers[-1])[0])
    np.testing.assert_allclose(cube.data[-1][:3], lo + swir[:3, j, :] * (hi - lo) / 65535,
                               rtol=1e-6)
    assert np.isnan(cube.data[:, 3, 4]).all()  # the pixel that is 0 in every band
    assert np.isfinite(cube.data[:, :3]).all()
    assert cube.crs == f"EPSG:{int(a['Epsg_Code'])}"
    ulx, uly = float(a["Product_ULcorner_easting"]), float(a["Product_ULcorner_northing"])
    assert cube.transform == (ulx - 15, 30.0, 0.0, uly + 15, 0.0, -30.0)  # corner pixel centres
    assert any("dropped 4 SWIR bands" in n for n in cube.notes)


def test_spectral_cli_reads_the_he5(capsys):
    assert main(["spectral", str(HE5), "sentinel2_l2a"]) == 0
    assert "(230 bands, 402-2497 nm) -> sentinel2_l2a" in capsys.readouterr().out


def test_wavelength_list_disagreeing_with_the_cube_is_refused(tmp_path):
    bad = tmp_path / HE5.name
    shutil.copy(HE5, bad)
    with h5py.File(bad, "a") as h5:
        h5.attrs["List_Cw_Swir"] = h5.attrs["List_Cw_Swir"][:-1]
    with pytest.raises(SpectralError, match=r"SWIR_Cube has 173 bands but List_Cw_Swir lists "
                                            r"172 centres"):
        load_bandset(bad)


def test_missing_scale_attribute_is_refused(tmp_path):
    bad = tmp_path / HE5.name
    shutil.copy(HE5, bad)
    with h5py.File(bad, "a") as h5:
        del h5.attrs["L2ScaleSwirMax"]
    with pytest.raises(SpectralError, match="'L2ScaleSwirMax' is missing"):
        read_prisma(bad)


def test_unknown_overlap_choice():
    with pytest.raises(SpectralError, match="overlap='both'"):
        read_prisma_bands(HE5, overlap="both")  # type: ignore[arg-type]
