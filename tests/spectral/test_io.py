import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hsiadapt.cli import main
from hsiadapt.spectral import SpectralError, get_sensor
from hsiadapt.spectral._parse import looks_binary
from hsiadapt.spectral.io import (
    load_bandset,
    read_envi_header,
    read_geotiff_bands,
    read_wavelength_file,
)

from .envi_files import write_image


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
    with pytest.raises(SpectralError, match="no wavelength metadata.*--wavelengths.*wavelengths: FILE"):
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


# -- ENVI data files and binary files given where a band table is expected -----------------------

WL = [450.0, 550.0, 650.0, 850.0]


def _cube() -> np.ndarray:
    return np.linspace(0.1, 0.5, 2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize(
    ("data_name", "header_name"),
    [
        ("scene", "scene.hdr"),
        ("scene.img", "scene.hdr"),
        ("scene.dat", "scene.hdr"),
        ("scene.bsq", "scene.hdr"),
        ("scene.img", "scene.img.hdr"),
    ],
)
def test_load_bandset_from_envi_data_file_or_header(tmp_path, data_name, header_name):
    hdr = write_image(tmp_path / data_name, _cube(), WL, header_path=tmp_path / header_name)
    from_data = load_bandset(tmp_path / data_name)
    assert from_data.centers.tolist() == WL
    assert from_data == load_bandset(hdr)
    assert from_data.name == "scene"


def _binary_bytes() -> bytes:
    # float32 reflectance, as an ENVI cube holds it, with every NUL byte replaced: the test does
    # not rely on NUL bytes to tell binary from text
    rng = np.random.default_rng(0)
    raw = (0.05 + 0.4 * rng.random(4000)).astype("<f4").tobytes().replace(b"\0", b"\x01")
    assert b"\0" not in raw
    return raw


def test_binary_file_is_never_read_as_a_wavelength_table(tmp_path):
    # without its header an ENVI binary used to be parsed as text: the error quoted binary garbage
    data = tmp_path / "scene"
    data.write_bytes(_binary_bytes())
    with pytest.raises(SpectralError) as err:
        load_bandset(data)
    msg = str(err.value)
    assert msg.isascii() and msg.isprintable()
    assert f"{data} is a binary file" in msg and "looked for scene.hdr" in msg
    assert "ENVI header (.hdr) or the ENVI data file beside it" in msg
    with pytest.raises(SpectralError, match="is a binary file, not a text table of wavelengths"):
        read_wavelength_file(data)


def test_cli_spectral_takes_the_envi_data_file(tmp_path, capsys):
    write_image(tmp_path / "scene", _cube(), WL)
    assert main(["spectral", str(tmp_path / "scene"), "sentinel2_l2a", "--coverage", "drop"]) == 0
    assert capsys.readouterr().out.startswith("scene (4 bands, 450-850 nm) -> sentinel2_l2a")
    (tmp_path / "scene.hdr").unlink()
    assert main(["spectral", str(tmp_path / "scene"), "sentinel2_l2a"]) != 0
    err = capsys.readouterr().err
    assert "is a binary file" in err and err.isascii()


def test_other_gdal_raster_is_read_by_content_not_name(tmp_path):
    p = tmp_path / "a.tif"
    _write_tif(p)
    q = p.rename(tmp_path / "scene.bin")
    assert load_bandset(q).centers.tolist() == [500, 600, 700, 800]


def test_header_without_hdr_extension(tmp_path):
    hdr = write_image(tmp_path / "scene", _cube(), WL)
    renamed = hdr.rename(tmp_path / "scene_header.txt")
    assert load_bandset(renamed).centers.tolist() == WL


@pytest.mark.parametrize(
    ("head", "binary"),
    [
        (b"wavelength_nm,fwhm_nm\n500,10\n600,10\n", False),
        ("# Wellenlänge in µm\n0.45\n0.55\n".encode("latin-1"), False),
        ("# λ in µm\n0.45\n0.55\n".encode(), False),
        (np.arange(100, dtype="<i2").tobytes(), True),
        (b"", False),
    ],
)
def test_looks_binary(head, binary):
    assert looks_binary(head) is binary


def test_looks_binary_without_nul_bytes():
    assert looks_binary(_binary_bytes()[:8192])


def test_real_avirisng_file_without_extension(extdata):
    d = extdata / "isofit_avirisng_small_chunk"
    data = d / "ang20170323t202244_rdn_7000-7010"
    if not data.is_file():
        pytest.skip(f"{data} not present")
    bs = load_bandset(data)
    assert bs == load_bandset(data.with_name(data.name + ".hdr")) and len(bs) == 425
    # isofit ships the same band table separately, in micrometres: index, centre, FWHM
    table = np.loadtxt(d / "wavelengths.txt")
    np.testing.assert_allclose(bs.centers, table[:, 1] * 1000, atol=1e-6)
    np.testing.assert_allclose(bs.fwhm, table[:, 2] * 1000, atol=1e-6)
