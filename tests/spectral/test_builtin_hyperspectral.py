"""The built-in imaging spectrometers (issue #20): each has a named source, and where a real product
of that sensor is in ../extdata its band table is compared with the built-in one."""

from __future__ import annotations

import numpy as np
import pytest

from hsiadapt.spectral import get_sensor, list_sensors
from hsiadapt.spectral.io import read_envi_header
from hsiadapt.spectral.sensors import source_of

NEW = ("prisma", "emit", "desis", "aviris_ng", "aviris_classic", "hyperion")


@pytest.mark.parametrize("name", NEW)
def test_listed_with_a_source(name):
    assert name in list_sensors()
    src = source_of(name)
    assert "github.com/" in src and "@" in src  # repository@commit:path
    b = get_sensor(name)
    assert b.has_fwhm and np.all(b.fwhm > 0) and np.all((b.centers > 340) & (b.centers < 2600))


def test_band_counts_and_detectors():
    counts = {n: len(get_sensor(n)) for n in NEW}
    assert counts == {"prisma": 234, "emit": 285, "desis": 235, "aviris_ng": 425,
                      "aviris_classic": 220, "hyperion": 242}
    prisma = get_sensor("prisma").centers
    # VNIR (63 bands) then SWIR (171): the SWIR detector starts below the VNIR's last band
    assert prisma[63] < prisma[62] and np.all(np.diff(prisma[:63]) > 0)
    hyp = get_sensor("hyperion")
    assert hyp.centers[70] < hyp.centers[69]  # B71 (SWIR) starts below B70 (VNIR)
    assert not hyp.valid[0] and hyp.valid[7] and hyp.valid.sum() == 198  # USGS 'not calibrated'
    chans = [int(n[1:]) for n in get_sensor("aviris_classic").names]
    assert sorted(set(range(1, 225)) - set(chans)) == [1, 33, 97, 161]


def _same_table(name: str, header, tol_nm: float) -> None:
    built, real = get_sensor(name), read_envi_header(header)
    idx = np.array([np.argmin(np.abs(built.centers - c)) for c in real.centers])
    assert len(set(idx.tolist())) == len(real)  # one built-in band per band of the file
    np.testing.assert_allclose(built.centers[idx], real.centers, atol=tol_nm)
    np.testing.assert_allclose(built.fwhm[idx], real.fwhm, atol=tol_nm)


def test_emit_equals_a_real_l2a_product(extdata):
    hdr = extdata / "emit_spectralunmixing_rfl" / "emit20250324t221005_jpl_unmix_ex.hdr"
    _same_table("emit", hdr, 1e-6)
    assert len(read_envi_header(hdr)) == len(get_sensor("emit"))  # all 285, in the same order
    np.testing.assert_allclose(read_envi_header(hdr).centers, get_sensor("emit").centers,
                               atol=1e-6)


def test_aviris_ng_equals_a_real_flight(extdata):
    _same_table("aviris_ng", extdata / "isofit_avirisng_small_chunk"
                / "ang20170323t202244_rdn_7000-7010.hdr", 1e-6)


def test_hyperion_equals_a_real_scene(extdata):
    # the EnMAP-Box's Hyperion subset keeps 189 of the 242 bands, with USGS's centres and FWHM
    _same_table("hyperion", extdata / "enmapbox_hyperion_gamsberg" / "cubus_gamsberg_subset.hdr",
                1e-3)


def test_aviris_classic_is_one_season_only(extdata):
    """The 1992 table is not the 2014 one: the docs say to use the flight's own table."""
    real = read_envi_header(extdata / "gatorsense_aviris_santabarbara" / "derived_envi"
                            / "aviris_20140416_lacumbre_sub.hdr")
    built = get_sensor("aviris_classic")
    chans = np.array([int(n[1:]) for n in built.names])
    diff = np.abs(built.centers - real.centers[chans - 1])
    assert diff.max() > 20 and np.median(diff[chans > 160]) < 10
