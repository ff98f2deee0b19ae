"""DESIS L2A products as distributed (tests/data/desis_l2a, layout and its sources in
hsiadapt.spectral.products.desis): the band table, values and georeferencing equal the files'
own numbers; the ENVI header is the fallback band table; metadata that disagree are refused."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import rasterio

from hsiadapt.cli import main
from hsiadapt.spectral import SpectralError, get_sensor
from hsiadapt.spectral.io import load_bandset
from hsiadapt.spectral.products import detect_product, open_product, read_product

FOLDER = next((Path(__file__).parents[1] / "data" / "desis_l2a" / "root").iterdir())
IMAGE = next(FOLDER.glob("*-SPECTRAL_IMAGE.tif"))
XML = next(FOLDER.glob("*-METADATA.xml"))


def _xml_column(tag: str) -> np.ndarray:
    return np.array([float(b.findtext(tag)) for b in ET.parse(XML).getroot().iter("band")])


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    dst = tmp_path / FOLDER.name
    shutil.copytree(FOLDER, dst)
    return dst / IMAGE.name, dst / XML.name


def test_band_table_comes_from_the_metadata_xml():
    assert detect_product(IMAGE) == "desis" == detect_product(XML)
    assert detect_product(next(FOLDER.glob("*QL_QUALITY-2.tif"))) is None
    bands = load_bandset(IMAGE)
    assert len(bands) == 235
    np.testing.assert_array_equal(bands.centers, _xml_column("wavelengthCenterOfBand"))
    np.testing.assert_array_equal(bands.fwhm, _xml_column("wavelengthWidthOfBand"))
    np.testing.assert_allclose(bands.centers, get_sensor("desis").centers, atol=1e-6)
    assert load_bandset(XML).centers.tolist() == bands.centers.tolist()


def test_cube_is_dn_times_gain_with_the_background_as_no_data():
    cube = read_product(IMAGE)
    with rasterio.open(IMAGE) as src:
        dn, crs, gt = src.read(), src.crs, src.transform.to_gdal()
    gain = _xml_column("gainOfBand")[:, None, None]
    background = dn == -32768
    np.testing.assert_allclose(cube.data[~background],
                               (dn * gain)[~background].astype(np.float32), rtol=1e-6)
    assert np.isnan(cube.data[background]).all() and background[:, 0, 0].all()
    assert cube.kind == "desis_l2a" and cube.transform == tuple(gt)
    assert rasterio.crs.CRS.from_wkt(cube.crs) == crs
    strips = np.concatenate([open_product(XML).read(r, r + 1) for r in range(cube.data.shape[1])],
                            axis=1)
    np.testing.assert_array_equal(strips, cube.data)


def test_spectral_cli_reads_the_235_band_table_with_no_other_input(capsys):
    assert main(["spectral", str(IMAGE), "sentinel2_l2a", "--coverage", "drop"]) == 0
    out = capsys.readouterr().out
    assert "(235 bands, 402-1000 nm) -> sentinel2_l2a" in out


def test_without_band_elements_the_envi_header_gives_the_table(tmp_path):
    """The XML's band elements are read first: the header is used only without them."""
    image, xml = _copy(tmp_path)
    hdr = image.parent / image.name.replace(".tif", ".hdr")
    hdr.write_text(hdr.read_text().replace("wavelength = {402.0,", "wavelength = {403.0,"))
    assert load_bandset(image).centers[0] == 402.0  # from the XML
    root = ET.parse(xml).getroot()
    for parent in root.iter("bandCharacterisation"):
        parent.clear()
    ET.ElementTree(root).write(xml)
    bands = load_bandset(image)
    assert bands.centers[0] == 403.0  # now from the header
    np.testing.assert_allclose(bands.centers[1:], _xml_column("wavelengthCenterOfBand")[1:],
                               atol=1e-9)
    cube = read_product(image)
    assert np.isnan(cube.data[:, 0, 0]).all() and np.nanmax(cube.data) < 1.0
    hdr.unlink()
    with pytest.raises(SpectralError, match="no band elements"):
        load_bandset(image)


def test_missing_xml_names_the_file_and_the_fix(tmp_path):
    image, xml = _copy(tmp_path)
    xml.unlink()
    with pytest.raises(SpectralError, match=r"METADATA\.xml is not beside it.*--wavelengths"):
        load_bandset(image)


def test_band_count_disagreeing_with_the_image_is_refused(tmp_path):
    image, xml = _copy(tmp_path)
    root = ET.parse(xml).getroot()
    parent = next(root.iter("bandCharacterisation"))
    for band in list(parent)[200:]:
        parent.remove(band)
    ET.ElementTree(root).write(xml)
    with pytest.raises(SpectralError, match="has 235 bands but .* describes 200"):
        read_product(image)


def test_band_numbers_out_of_order_are_refused(tmp_path):
    image, xml = _copy(tmp_path)
    xml.write_text(xml.read_text().replace("<bandNumber>7</bandNumber>",
                                           "<bandNumber>700</bandNumber>"))
    with pytest.raises(SpectralError, match="band numbers are not 1..235"):
        load_bandset(image)
