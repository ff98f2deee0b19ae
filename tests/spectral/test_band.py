import numpy as np
import pytest

from hsiadapt.spectral import Band, BandSet, SpectralError
from hsiadapt.spectral.envi import read_envi_header
from hsiadapt.spectral.io import load_bandset, read_wavelength_file


def test_from_wavelengths_defaults_and_views():
    bs = BandSet.from_wavelengths([500, 600, 700], fwhm=10)
    assert len(bs) == 3
    assert bs.names == ["B001", "B002", "B003"]
    np.testing.assert_array_equal(bs.centers, [500, 600, 700])
    np.testing.assert_array_equal(bs.fwhm, [10, 10, 10])
    assert bs.valid.all()
    assert bs[1].center_nm == 600
    assert bs.subset([2, 0]).names == ["B003", "B001"]


def test_micrometres_converted_with_unit_and_rejected_without():
    bs = BandSet.from_wavelengths([0.5, 0.6], fwhm=[0.01, 0.01], unit="um")
    np.testing.assert_allclose(bs.centers, [500, 600])
    np.testing.assert_allclose(bs.fwhm, [10, 10])
    with pytest.raises(SpectralError, match="micrometres.*wavelength units = Micrometers.*unit=.um. in Python"):
        BandSet.from_wavelengths([0.5, 0.6])


@pytest.mark.parametrize(
    ("centers", "kwargs", "match"),
    [
        ([500, np.nan], {}, "not finite"),
        ([500, -3], {}, "not positive"),
        ([500, 500, 600], {}, "duplicate band centre"),
        ([600, 500], {}, "not increasing at index 1"),
        ([500, 600], {"fwhm": [10, 0]}, "FWHM must be a positive"),
        ([500, 600], {"fwhm": [10, 10, 10]}, "3 FWHM values for 2"),
        ([500, 600], {"names": ["a", "a"]}, "duplicate band names"),
        ([], {}, "no band centres"),
        ([500, 60000], {}, "beyond"),
    ],
)
def test_validation_errors_name_the_problem(centers, kwargs, match):
    with pytest.raises(SpectralError, match=match):
        BandSet.from_wavelengths(centers, **kwargs)


def test_any_order_allows_product_order_but_not_duplicates():
    bs = BandSet.from_wavelengths([900, 950, 920], order="any")
    assert bs.centers.tolist() == [900, 950, 920]


def test_check_data_band_count():
    bs = BandSet.from_wavelengths([500, 600, 700])
    bs.check_data(3)
    with pytest.raises(SpectralError, match="has 4 bands but band set"):
        bs.check_data(4)


def test_effective_fwhm_uses_spacing_when_unknown():
    bs = BandSet.from_wavelengths([500, 510, 530])
    np.testing.assert_allclose(bs.effective_fwhm(), [10, 15, 20])


def test_band_equality_includes_response():
    r = (np.array([1.0, 2.0]), np.array([0.0, 1.0]))
    assert Band("a", 500, 10, response=r) == Band("a", 500, 10, response=(r[0].copy(), r[1].copy()))
    assert Band("a", 500, 10, response=r) != Band("a", 500, 10)


# -- plausibility of a band table: units, spacing, order ----------------------------------------

# 100 band centres 0.4-2.45 um with window gaps, as a micrometre table is typed
UM = np.round(np.linspace(0.4, 2.45, 100), 4)


def test_one_value_in_nanometres_among_micrometres(tmp_path):
    # fault probe: the value at position 57 typed in nm was accepted as a "0.4-2450 nm" table
    typo = UM.copy()
    typo[57] = typo[57] * 1000
    f = tmp_path / "wl.txt"
    f.write_text("\n".join(f"{v:g}" for v in typo) + "\n")
    with pytest.raises(
        SpectralError,
        match=rf"value {typo[57]:g} at position 57 looks like nanometres among micrometres.*"
        rf"write it in micrometres \({UM[57]:g}\)",
    ):
        read_wavelength_file(f)
    # the same table declared as micrometres: the nm value became 1000x too large
    with pytest.raises(SpectralError, match=r"at position 57 is 1000x the rest.*nanometres"):
        BandSet.from_wavelengths(typo, unit="um")


def test_one_value_in_micrometres_among_nanometres():
    nm = UM * 1000
    nm[3] = 0.4620
    with pytest.raises(
        SpectralError,
        match=r"value 0\.462 at position 3 looks like micrometres among nanometres.*\(462\)",
    ):
        BandSet.from_wavelengths(nm)


def test_header_unit_contradicting_its_values(tmp_path):
    # a real Cubert header says 'wavelength units = um' over values 450-998
    hdr = tmp_path / "cube.hdr"
    hdr.write_text("ENVI\nbands = 3\nwavelength units = um\nwavelength = {450, 454, 458}\n")
    with pytest.raises(SpectralError, match=r"'um' \(micrometres\) but the values \(450-458"):
        read_envi_header(hdr)


@pytest.mark.parametrize(("position", "value"), [(100, 4500.0), (0, 45.0)])
def test_isolated_value_beyond_a_hyperspectral_table(position, value):
    c = np.insert(np.arange(400.0, 1000.0, 6.0), position, value)
    with pytest.raises(
        SpectralError, match=rf"value {value:g} at position {position} is isolated: .* spacing"
    ):
        BandSet.from_wavelengths(c, order="any")


def test_real_gaps_are_accepted():
    # water-vapour windows removed from a VSWIR table (gaps of ~30x the median spacing)
    c = np.arange(400.0, 2500.0, 8.0)
    keep = ~(((c > 1340) & (c < 1460)) | ((c > 1790) & (c < 1960)))
    BandSet.from_wavelengths(c[keep])
    # reflective bands followed by a thermal block, as the ECOSTRESS tables run
    BandSet.from_wavelengths(np.concatenate([c, np.arange(8000.0, 12000.0, 200.0)]))
    # a multispectral sensor's wide gaps (Sentinel-2: B09 945 nm -> B11 1610 nm)
    BandSet.from_wavelengths([443, 490, 560, 665, 705, 740, 783, 842, 865, 945, 1610, 2190])


ENMAP_LIKE = np.concatenate([np.arange(420.0, 1000.0, 6.0), np.arange(902.5, 2450.0, 10.0)])


def test_detector_order_accepted_shuffled_order_refused(tmp_path):
    bs = BandSet.from_wavelengths(ENMAP_LIKE, order="detectors")
    assert bs.centers.tolist() == ENMAP_LIKE.tolist()
    with pytest.raises(SpectralError, match="not increasing at index 97.*order='detectors'"):
        BandSet.from_wavelengths(ENMAP_LIKE)
    shuffled = np.arange(400.0, 1000.0, 6.0)
    shuffled[[10, 60]] = shuffled[[60, 10]]  # two bands swapped far apart
    f = tmp_path / "wl.csv"
    f.write_text("wavelength\n" + "\n".join(f"{v:g}" for v in shuffled) + "\n")
    with pytest.raises(
        SpectralError,
        match=r"go back from 760 nm at position 10 to 466 nm at position 11.*order='any'",
    ):
        read_wavelength_file(f)  # was accepted as any order
    assert read_wavelength_file(f, order="any").centers.tolist() == shuffled.tolist()


def test_a_decreasing_table_is_a_valid_data_order(tmp_path):
    # bands stored from long to short wavelengths: the table says which band is which (it was
    # refused, with advice to reverse table and data, which config and CLI users could not
    # follow without rewriting their files)
    f = tmp_path / "wl.txt"
    f.write_text(", ".join(f"{v:g}" for v in np.arange(1000.0, 400.0, -6.0)))
    bs = read_wavelength_file(f)
    assert len(bs) == 100 and bs.centers[0] == 1000.0 and bs.centers[-1] == 406.0


REAL_TABLES = [
    "enmap_band_centres/enmap_224_wavelengths_torchgeo.csv",  # product order, VNIR/SWIR overlap
    "enmap_potsdam_tiles/wavelengths_fwhm_bbl_from_tif.csv",
    "enmap_potsdam_tiles/images/enmap_potsdam_tile_128_0.tif",
    "hyperview_samples/wavelengths.txt",
    "spectral_earth_meta/enmap_bands_remapped.csv",  # 202 bands, water windows removed
]


@pytest.mark.parametrize("table", REAL_TABLES)
def test_real_tables_still_load(realdata, table):
    bs = load_bandset(realdata / table)
    assert len(bs) in (150, 202, 224)


@pytest.mark.parametrize(
    ("folder", "header", "n"),
    [
        ("isofit_spectral_libraries", "ecostress_library_with_mixtures.hdr", 479),  # to 12 um
        ("qps_aviris_urban_speclib", "roberts2017_urban.hdr", 224),  # 4 spectrometers
        ("enmapbox_spectral_libraries", "library_berlin.hdr", 177),
        ("emit_spectralunmixing_rfl", "emit20250324t221005_jpl_unmix_ex.hdr", 285),
    ],
)
def test_real_envi_tables_still_load(extdata, folder, header, n):
    if not (extdata / folder / header).is_file():
        pytest.skip(f"{folder}/{header} not in {extdata}")
    assert len(load_bandset(extdata / folder / header)) == n
