import numpy as np
import pytest

from hsiadapt.spectral import Band, BandSet, SpectralError


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
    with pytest.raises(SpectralError, match="micrometres.*unit='um'"):
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
