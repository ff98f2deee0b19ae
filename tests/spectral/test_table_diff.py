"""A product's band table against the built-in sensor's: each band paired with the nearest
built-in centre, the differences per band and their maxima, checked against hand-made shifts."""

from __future__ import annotations

import numpy as np

from hsiadapt.spectral import BandSet, get_sensor
from hsiadapt.spectral.products.table_diff import diff_band_tables


def test_shifted_bands_are_found_with_their_differences():
    builtin = get_sensor("prisma")
    centers, fwhm = builtin.centers.copy(), builtin.fwhm.copy()
    centers[10] += 2.0  # within tolerance
    centers[100] -= 4.5  # beyond it
    fwhm[200] += 6.0
    product = BandSet.from_wavelengths(centers, fwhm, name="scene", order="any")
    diff = diff_band_tables(product, builtin)
    assert diff.largest("center")[1] == 100
    np.testing.assert_allclose(diff.largest("center")[0], 4.5)
    np.testing.assert_allclose(diff.largest("fwhm")[0], 6.0)
    assert diff.largest("fwhm")[1] == 200 and diff.matched[100] == 100
    assert diff.differs()
    head, *worst = diff.lines(top=2)
    assert "up to 4.50 nm (band 100" in head and "FWHM by up to 6.00 nm (band 200" in head
    assert "1 centres and 1 FWHM differ by more than 3 nm" in head
    assert worst[0].startswith("band 200") and worst[1].startswith("band 100")


def test_the_same_table_and_a_subset_do_not_differ():
    builtin = get_sensor("prisma")
    assert not diff_band_tables(builtin, builtin).differs()
    sub = builtin.subset(range(60, 200))  # PRISMA with its VNIR/SWIR overlap resolved
    diff = diff_band_tables(sub, builtin)
    assert not diff.differs() and (diff.matched == np.arange(60, 200)).all()


def test_a_binned_desis_table_differs_by_its_fwhm():
    desis = get_sensor("desis")
    c, f = desis.centers, desis.fwhm
    binned = BandSet.from_wavelengths((c[0:234:2] + c[1:234:2]) / 2, 2 * f[0:234:2], name="x2")
    diff = diff_band_tables(binned, desis)
    assert diff.differs() and diff.largest("fwhm")[0] > 2.0
    assert diff.largest("center")[0] < 3.0  # the FWHM, not the centres, trigger the report
