import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hsiadapt.spectral import SpectralError, get_sensor
from hsiadapt.spectral.io import (
    load_bandset,
    read_envi_header,
    read_geotiff_bands,
    read_wavelength_file,
)


def _write_tif(path, n=4, tags=True, unit="Nanometers", envi=False):
    prof = dict(driver="GTiff", width=3, height=2, count=n, dtype="float32",
                transform=from_origin(0, 0, 30, 30), crs="EPSG:32633")
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(np.ones((n, 2, 3), np.float32))
        if tags:
            for i in range(n):
                dst.update_tags(i + 1, wavelength=str(0.5 + 0.1 * i if unit == "Micrometers" else
                                                       500 + 100 * i),
                                fwhm="10" if unit != "Micrometers" else "0.01",
                                wavelength_units=unit, bbl="0" if i == 2 else "1")
        if envi:
            dst.update_tags(ns="ENVI", wavelength="{500, 600, 700, 800}",
                            wavelength_units="Nanometers", fwhm="{5, 5, 5, 5}")


def test_geotiff_per_band_tags(tmp_path):
    p = tmp_path / "a.tif"
    _write_tif(p)
    bs = read_geotiff_bands(p)
    assert bs.centers.tolist() == [500, 600, 700, 800]
    assert bs.fwhm.tolist() == [10, 10, 10, 10]
    assert bs.valid.tolist() == [True, True, False, True]


def test_geotiff_micrometres_converted(tmp_path):
    p = tmp_path / "um.tif"
    _write_tif(p, unit="Micrometers")
    np.testing.assert_allclose(read_geotiff_bands(p).centers, [500, 600, 700, 800])


def test_geotiff_envi_domain(tmp_path):
    p = tmp_path / "e.tif"
    _write_tif(p, tags=False, envi=True)
    bs = read_geotiff_bands(p)
    assert bs.centers.tolist() == [500, 600, 700, 800] and bs.fwhm.tolist() == [5] * 4


def test_geotiff_without_metadata_says_how_to_fix(tmp_path):
    p = tmp_path / "none.tif"
    _write_tif(p, tags=False)
    with pytest.raises(SpectralError, match="no wavelength metadata.*separate file"):
        read_geotiff_bands(p)


def test_truncated_geotiff(tmp_path):
    p = tmp_path / "t.tif"
    _write_tif(p)
    p.write_bytes(p.read_bytes()[:100])
    with pytest.raises(SpectralError, match="truncated"):
        read_geotiff_bands(p)


def test_envi_header(tmp_path):
    p = tmp_path / "x.hdr"
    p.write_text("ENVI\nsamples = 3\nlines = 2\nbands = 3\nwavelength units = Micrometers\n"
                 "wavelength = {0.45, 0.55,\n 0.65}\nfwhm = {0.01, 0.01, 0.01}\nbbl = {1, 0, 1}\n")
    bs = read_envi_header(p)
    np.testing.assert_allclose(bs.centers, [450, 550, 650])
    np.testing.assert_allclose(bs.fwhm, [10, 10, 10])
    assert bs.valid.tolist() == [True, False, True]
    p.write_text("ENVI\nbands = 4\nwavelength = {450, 550, 650}\n")
    with pytest.raises(SpectralError, match="bands = 4 but lists 3"):
        read_envi_header(p)


def test_wavelength_files(tmp_path):
    a = tmp_path / "w.txt"
    a.write_text("462.08, 465.27, 468.47\n")
    assert read_wavelength_file(a).centers.tolist() == [462.08, 465.27, 468.47]
    b = tmp_path / "w.csv"
    b.write_text("# comment\nwavelength_nm,fwhm_nm,bbl\n500,10,1\n600,10,0\n")
    bs = read_wavelength_file(b)
    assert bs.fwhm.tolist() == [10, 10] and bs.valid.tolist() == [True, False]
    c = tmp_path / "bad.csv"
    c.write_text("wavelength\n500\nabc\n")
    with pytest.raises(SpectralError, match="non-numeric"):
        read_wavelength_file(c)


def test_load_bandset_dispatch(tmp_path):
    assert load_bandset("hyperview") is get_sensor("hyperview")
    with pytest.raises(SpectralError, match="did you mean 'hyperview'"):
        load_bandset("hyperveiw")


def test_real_enmap_tile_metadata(realdata):
    tif = realdata / "enmap_potsdam_tiles/images/enmap_potsdam_tile_128_0.tif"
    bs = read_geotiff_bands(tif)
    assert len(bs) == 224
    np.testing.assert_allclose(bs.centers, get_sensor("enmap").centers)
    np.testing.assert_allclose(bs.fwhm, get_sensor("enmap").fwhm)
    assert np.flatnonzero(~bs.valid).tolist() == list(range(129, 135))  # 1-based 130-135
