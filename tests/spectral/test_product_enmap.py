"""EnMAP L2A products as downloaded (tests/data/enmap_l2a): the reader's output equals the file's
own numbers, and a product whose metadata disagree with its image gets a clear error."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import rasterio

from hsiadapt.cli import main
from hsiadapt.spectral import SpectralError
from hsiadapt.spectral.io import load_bandset
from hsiadapt.spectral.products import detect_product, read_product

FOLDER = next((Path(__file__).parents[1] / "data" / "enmap_l2a" / "root").iterdir())
IMAGE = next(FOLDER.glob("*-SPECTRAL_IMAGE.TIF"))
XML = next(FOLDER.glob("*-METADATA.XML"))


def _xml_column(tag: str) -> np.ndarray:
    root = ET.parse(XML).getroot()
    return np.array([float(e.text) for e in root.iter(tag)])


def test_band_table_comes_from_the_sibling_xml():
    assert detect_product(IMAGE) == "enmap" and detect_product(XML) == "enmap"
    for spec in (IMAGE, XML):
        bands = load_bandset(spec)
        assert len(bands) == 224
        np.testing.assert_array_equal(bands.centers, _xml_column("wavelengthCenterOfBand"))
        np.testing.assert_array_equal(bands.fwhm, _xml_column("FWHMOfBand"))
    # the two bands bandStatistics flags as filled with no data are bad bands
    assert np.flatnonzero(~load_bandset(IMAGE).valid).tolist() == [130, 131]


def test_cube_equals_dn_times_gain_plus_offset_with_the_image_georeferencing():
    cube = read_product(IMAGE)
    with rasterio.open(IMAGE) as src:
        dn, nodata, transform, crs = src.read(), src.nodata, src.transform, src.crs
    gain, offset = _xml_column("GainOfBand"), _xml_column("OffsetOfBand")
    want = dn * gain[:, None, None] + offset[:, None, None]
    good = dn != nodata
    np.testing.assert_allclose(cube.data[good], want[good], rtol=1e-6)
    assert np.isnan(cube.data[~good]).all() and np.isnan(cube.data[:, 0, 0]).all()
    assert cube.transform == transform.to_gdal()
    assert rasterio.crs.CRS.from_wkt(cube.crs) == crs
    assert cube.kind == "enmap_l2a" and cube.data.dtype == np.float32


def test_spectral_cli_reads_the_224_band_table_with_no_other_input(capsys):
    assert main(["spectral", str(IMAGE), "sentinel2_l2a"]) == 0
    out = capsys.readouterr().out
    assert "(224 bands, 418-2446 nm) -> sentinel2_l2a" in out


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    dst = tmp_path / FOLDER.name
    shutil.copytree(FOLDER, dst)
    return dst / IMAGE.name, dst / XML.name


def test_missing_xml_names_the_file_and_the_fix(tmp_path):
    image, xml = _copy(tmp_path)
    xml.unlink()
    with pytest.raises(SpectralError, match=r"METADATA\.XML is not beside it.*Keep the product "
                                            r"folder whole"):
        load_bandset(image)


def test_band_count_disagreeing_with_the_image_is_refused(tmp_path):
    image, xml = _copy(tmp_path)
    root = ET.parse(xml).getroot()
    chars = root.find("specific/bandCharacterisation")
    chars.remove(chars.findall("bandID")[-1])
    ET.ElementTree(root).write(xml)
    with pytest.raises(SpectralError, match=r"has 224 bands but .*METADATA\.XML describes 223"):
        load_bandset(image)


def test_unknown_wavelength_unit_is_refused(tmp_path):
    image, xml = _copy(tmp_path)
    xml.write_text(xml.read_text().replace("<wavelengthCenterOfBand>",
                                           '<wavelengthCenterOfBand unit="furlong">', 1))
    with pytest.raises(SpectralError, match="unit 'furlong' is not understood"):
        load_bandset(image)


def test_an_xml_without_a_band_table_says_what_it_expected(tmp_path):
    image, xml = _copy(tmp_path)
    xml.write_text('<?xml version="1.0"?>\n<level_X><specific/></level_X>\n')
    with pytest.raises(SpectralError, match="no specific/bandCharacterisation/bandID"):
        load_bandset(image)
