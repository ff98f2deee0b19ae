"""ENVI spectral libraries (.sli + .hdr): wavelengths from the header, spectra from the binary."""

import csv
import dataclasses

import numpy as np
import pytest

from hsiadapt.spectral import SpectralError
from hsiadapt.spectral.envi import read_envi_header
from hsiadapt.spectral.library import SpectralLibrary, read_envi_library

from .conftest import EXTDATA
from .envi_files import write_image, write_library

WL_UM = [0.45, 0.55, 0.65, 0.85, 1.65]
NAMES = ["red clay tile 1", "grass (dry) 2", "water 1"]
SPECTRA = np.array(
    [[0.10, 0.12, 0.20, 0.25, 0.30], [0.05, 0.09, 0.04, 0.45, 0.30], [0.03, 0.02, 0.01, 0.0, 0.0]]
)


def _library(tmp_path, **kwargs):
    sli = tmp_path / "lib.sli"
    write_library(sli, kwargs.pop("spectra", SPECTRA), WL_UM, NAMES, **kwargs)
    return sli


def test_header_of_a_library_gives_its_wavelengths(tmp_path):
    # the spectral axis is 'samples' (bands = 1); this used to be refused as
    # "header says bands = 1 but lists 5 wavelengths"
    sli = _library(tmp_path, fwhm_um=[0.01] * 5, bbl=[1, 1, 1, 1, 0])
    bs = read_envi_header(tmp_path / "lib.hdr")
    np.testing.assert_allclose(bs.centers, [450, 550, 650, 850, 1650])
    np.testing.assert_allclose(bs.fwhm, [10] * 5)
    assert bs.valid.tolist() == [True, True, True, True, False]
    assert bs.name == "lib"
    assert read_envi_header(sli) == bs  # the data file finds its header


def test_read_library_spectra_names_and_bands(tmp_path):
    sli = _library(tmp_path, fwhm_um=[0.01] * 5)
    for path in (sli, tmp_path / "lib.hdr"):
        lib = read_envi_library(path)
        assert isinstance(lib, SpectralLibrary) and len(lib) == 3
        assert lib.names == tuple(NAMES)
        np.testing.assert_allclose(lib.spectra, SPECTRA, rtol=1e-6)  # float32 on disk
        assert lib.spectra.dtype == np.float64 and lib.spectra.shape == (3, 5)
        np.testing.assert_allclose(lib.bands.centers, [450, 550, 650, 850, 1650])
        assert lib.reflectance_scale_factor is None


def test_big_endian_int16_with_header_offset_and_scale_factor(tmp_path):
    stored = np.round(SPECTRA * 10000)
    sli = _library(tmp_path, spectra=stored, dtype=">i2", header_offset=128, scale=10000.0)
    lib = read_envi_library(sli)
    np.testing.assert_allclose(lib.spectra, SPECTRA, atol=1e-12)
    assert lib.reflectance_scale_factor == 10000.0


def test_library_is_frozen_and_read_only(tmp_path):
    lib = read_envi_library(_library(tmp_path))
    with pytest.raises(dataclasses.FrozenInstanceError):
        lib.names = ()  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        lib.spectra[0, 0] = 1.0
    with pytest.raises(SpectralError, match=r"2 names for 3 spectra"):
        SpectralLibrary(lib.bands, lib.spectra, ("a", "b"))


@pytest.mark.parametrize("interleave", ["bsq", "bil", "bip"])
def test_library_stored_as_a_one_pixel_wide_image(tmp_path, interleave):
    # isofit keeps its surface libraries as ENVI Standard images: samples = 1, one line a spectrum
    cube = SPECTRA[:, None, :]  # (lines, samples=1, bands)
    write_image(tmp_path / "surf", cube, [450, 550, 650, 850, 1650], interleave=interleave)
    lib = read_envi_library(tmp_path / "surf")
    np.testing.assert_allclose(lib.spectra, SPECTRA, rtol=1e-6)
    assert lib.names == ("spectrum 1", "spectrum 2", "spectrum 3")


def test_image_is_not_a_library(tmp_path):
    write_image(tmp_path / "cube.img", np.zeros((2, 2, 5)), [450, 550, 650, 850, 1650])
    with pytest.raises(SpectralError, match=r"image of 2 x 2 pixels.*not a spectral library"):
        read_envi_library(tmp_path / "cube.img")


def test_truncated_library_names_sizes(tmp_path):
    sli = _library(tmp_path)
    sli.write_bytes(sli.read_bytes()[:-4])
    with pytest.raises(SpectralError, match=r"56 bytes, but its header describes 60.*truncated"):
        read_envi_library(sli)


def test_names_count_and_complex_type_are_checked(tmp_path):
    hdr = tmp_path / "lib.hdr"
    _library(tmp_path)
    text = hdr.read_text()
    hdr.write_text(text.replace("water 1}", "water 1, extra}"))
    with pytest.raises(SpectralError, match="4 spectra names for 3 spectra"):
        read_envi_library(hdr)
    hdr.write_text(text.replace("data type = 4", "data type = 6"))
    with pytest.raises(SpectralError, match=r"data type 6 \(complex\)"):
        read_envi_library(hdr)


def test_library_without_file_type_gets_a_hint(tmp_path):
    _library(tmp_path)
    hdr = tmp_path / "lib.hdr"
    hdr.write_text(hdr.read_text().replace("file type = ENVI Spectral Library\n", ""))
    with pytest.raises(SpectralError, match="add 'file type = ENVI Spectral Library'"):
        read_envi_header(hdr)


def test_library_with_several_bands_is_refused(tmp_path):
    _library(tmp_path)
    hdr = tmp_path / "lib.hdr"
    hdr.write_text(hdr.read_text().replace("bands   = 1", "bands   = 2"))
    with pytest.raises(SpectralError, match="bands = 1.*says bands = 2"):
        read_envi_header(hdr)


# -- real libraries in ../extdata --------------------------------------------------------------


def _real_libraries() -> list:
    if not EXTDATA.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no {EXTDATA}"))]
    found = [
        h
        for h in sorted(EXTDATA.glob("*/*.hdr"))
        if "envi spectral library" in h.read_text(errors="replace").lower()
    ]
    return [pytest.param(h, id=f"{h.parent.name}/{h.name}") for h in found] or [
        pytest.param(None, marks=pytest.mark.skip(reason=f"no spectral library in {EXTDATA}"))
    ]


@pytest.mark.parametrize("header", _real_libraries())
def test_real_library_matches_an_independent_reader(header):
    lib = read_envi_library(header)
    assert lib.spectra.shape == (len(lib.names), len(lib.bands))
    assert 300 < lib.bands.centers.min() and lib.bands.centers.max() < 3000  # nm, VSWIR
    envi = pytest.importorskip("spectral.io.envi", reason="SPy cross-check needs 'spectral'")
    from hsiadapt.spectral.envi import resolve_envi_pair

    ref = envi.open(str(header), str(resolve_envi_pair(header)[0]))
    scale = lib.reflectance_scale_factor or 1.0
    np.testing.assert_array_equal(np.asarray(ref.spectra, np.float64) / scale, lib.spectra)
    assert list(lib.names) == [n.strip() for n in ref.names]
    raw = np.asarray(ref.bands.centers)  # in the header's unit
    np.testing.assert_allclose(lib.bands.centers, raw * (1000 if raw.max() < 30 else 1))


def test_real_berlin_library(extdata):
    d = extdata / "enmapbox_spectral_libraries"
    if not (d / "library_berlin.sli").is_file():
        pytest.skip(f"{d}/library_berlin.sli not present")
    lib = read_envi_library(d / "library_berlin.sli")
    assert lib.spectra.shape == (75, 177)
    # the EnMAP-Box ships the class table of the same spectra as CSV: same names, same order
    with (d / "library_berlin.csv").open(newline="") as f:
        assert list(lib.names) == [r["spectra names"] for r in csv.DictReader(f)]
    # micrometres in the header, nanometres here; values are reflectance x 10000 (no factor given)
    assert lib.bands.centers[0] == pytest.approx(460.0) and lib.bands.centers[-1] == 2409.0
    assert lib.bands.has_fwhm and 1000 < np.median(lib.spectra) < 5000


def test_real_library_without_extension(extdata):
    d = extdata / "enmapbox_hyperion_gamsberg"
    if not (d / "gamsberg_field_library").is_file():
        pytest.skip(f"{d}/gamsberg_field_library not present")
    a = read_envi_library(d / "gamsberg_field_library")
    b = read_envi_library(d / "gamsberg_field_library.hdr")
    np.testing.assert_array_equal(a.spectra, b.spectra)
    assert a.spectra.shape == (27, 2151) and a.reflectance_scale_factor == 1.0
    np.testing.assert_array_equal(a.bands.centers, np.arange(350.0, 2501.0))
