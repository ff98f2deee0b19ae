"""EMIT L2A RFL granules as downloaded (tests/data/emit_l2a): the band table, the GLT
orthorectification and the georeferencing equal the file's own numbers."""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from hsiadapt.cli import main
from hsiadapt.spectral import SpectralError, get_sensor
from hsiadapt.spectral.io import load_bandset
from hsiadapt.spectral.products import detect_product, read_product
from hsiadapt.spectral.products.emit import read_emit

NC = next((Path(__file__).parents[1] / "data" / "emit_l2a" / "root").glob("*.nc"))


def _file(*keys: str) -> np.ndarray:
    with h5py.File(NC, "r") as h5:
        node = h5
        for k in keys:
            node = node[k]
        return np.asarray(node[()])


def test_band_table_and_bad_bands_come_from_sensor_band_parameters():
    assert detect_product(NC) == "emit"
    bands = load_bandset(NC)
    np.testing.assert_array_equal(bands.centers, _file("sensor_band_parameters", "wavelengths"))
    np.testing.assert_array_equal(bands.fwhm, _file("sensor_band_parameters", "fwhm"))
    np.testing.assert_array_equal(bands.valid,
                                  _file("sensor_band_parameters", "good_wavelengths") == 1)
    np.testing.assert_allclose(bands.centers, get_sensor("emit").centers, atol=1e-4)


def test_detected_by_content_not_by_name(tmp_path):
    renamed = tmp_path / "granule.dat"
    shutil.copy(NC, renamed)
    assert detect_product(renamed) == "emit"
    assert len(load_bandset(renamed)) == 285


def test_orthorectified_through_the_glt():
    cube = read_product(NC)
    rfl = _file("reflectance")
    gx, gy = _file("location", "glt_x"), _file("location", "glt_y")
    good = _file("sensor_band_parameters", "good_wavelengths") == 1
    assert cube.data.shape == (285, *gx.shape)
    checked = 0
    for y, x in zip(*np.nonzero((gx > 0) & (gy > 0)), strict=True):
        want = rfl[gy[y, x] - 1, gx[y, x] - 1]
        if (want == -9999).all():  # the swath pixel without data stays NaN
            assert np.isnan(cube.data[:, y, x]).all()
            continue
        np.testing.assert_array_equal(cube.data[good, y, x], want[good])
        checked += 1
    assert checked >= 20
    assert np.isnan(cube.data[:, (gx == 0) | (gy == 0)]).all()  # map cells outside the swath
    assert np.isnan(cube.data[~good]).all()  # bad bands masked
    with h5py.File(NC, "r") as h5:
        assert cube.transform == tuple(float(v) for v in h5.attrs["geotransform"])
        assert cube.crs == h5.attrs["spatial_ref"]


def test_swath_grid_on_request():
    cube = read_emit(NC, orthorectify=False)
    rfl = _file("reflectance")
    assert cube.data.shape == (285, *rfl.shape[:2]) and cube.transform is None
    np.testing.assert_array_equal(cube.data[10, 0], rfl[0, :, 10])


def test_spectral_cli_reads_the_granule(capsys):
    assert main(["spectral", str(NC), "sentinel2_l2a"]) == 0
    assert "(285 bands, 381-2493 nm) -> sentinel2_l2a" in capsys.readouterr().out


def test_band_table_disagreeing_with_the_data_is_refused(tmp_path):
    bad = tmp_path / NC.name
    shutil.copy(NC, bad)
    with h5py.File(bad, "a") as h5:
        del h5["sensor_band_parameters/fwhm"]
        h5["sensor_band_parameters"].create_dataset("fwhm", data=np.ones(284, np.float32))
    with pytest.raises(SpectralError, match=r"reflectance has 285 bands but "
                                            r"sensor_band_parameters lists 285 wavelengths and "
                                            r"284 FWHM"):
        load_bandset(bad)


def test_unknown_wavelength_unit_is_refused(tmp_path):
    bad = tmp_path / NC.name
    shutil.copy(NC, bad)
    with h5py.File(bad, "a") as h5:
        h5["sensor_band_parameters/wavelengths"].attrs["units"] = "parsecs"
    with pytest.raises(SpectralError, match="unit 'parsecs' is not understood"):
        load_bandset(bad)


def test_other_hdf5_files_get_an_error_not_a_crash(tmp_path):
    """Before: GDAL opened the container with 0 bands and the reader failed with IndexError."""
    other = tmp_path / "model_output.nc"
    with h5py.File(other, "w") as h5:
        h5.create_dataset("temperature", data=np.zeros((3, 4), np.float32))
        h5.create_dataset("pressure", data=np.zeros((3, 4), np.float32))
    assert detect_product(other) is None
    with pytest.raises(SpectralError, match="container of subdatasets"):
        load_bandset(other)
