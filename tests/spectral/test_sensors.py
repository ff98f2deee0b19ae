import csv

import numpy as np
import pytest
from pyrsr import RSR

from hsiadapt.spectral import get_sensor, list_sensors
from hsiadapt.spectral.sensors import ENMAP_SPECTRALEARTH_DROPPED, ENMAP_TORCHGEO_DROPPED

TERRAMIND_S2L2A = [
    "COASTAL_AEROSOL", "BLUE", "GREEN", "RED", "RED_EDGE_1", "RED_EDGE_2", "RED_EDGE_3",
    "NIR_BROAD", "NIR_NARROW", "WATER_VAPOR", "SWIR_1", "SWIR_2",
]  # fmt: skip


def test_sensor_names_are_pinned():
    assert sorted(list_sensors()) == [
        "aviris_classic", "aviris_ng", "desis", "emit",
        "enmap", "enmap_spectralearth", "enmap_spectralearth_corrected", "enmap_torchgeo", "hls", "hyperion", "hyperview", "landsat8_oli",
        "landsat9_oli", "prisma", "sentinel2_l2a", "sentinel2a_l2a", "sentinel2b_l2a",
    ]  # fmt: skip


@pytest.mark.parametrize("name", sorted(list_sensors()))
def test_every_sensor_is_valid(name):
    s = get_sensor(name)
    assert len(s) > 0
    assert np.isfinite(s.centers).all()
    assert s.name == name


def test_unknown_sensor_suggests():
    with pytest.raises(KeyError, match="(?i)did you mean 'sentinel2_l2a'"):
        get_sensor("sentinel2_l2")


def test_sentinel2_terramind_order_and_names():
    s2 = get_sensor("sentinel2_l2a")
    assert s2.names == TERRAMIND_S2L2A
    assert [b.label for b in s2] == [
        "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12",
    ]  # fmt: skip


@pytest.mark.parametrize(("sensor", "satellite"), [("sentinel2a_l2a", "Sentinel-2A"),
                                                   ("sentinel2b_l2a", "Sentinel-2B")])
def test_s2_responses_equal_pyrsr(sensor, satellite):
    rsr = RSR(satellite, "MSI", no_pan=False, no_thermal=False)
    s = get_sensor(sensor)
    for key, band in zip(["1", "2", "3", "4", "5", "6", "7", "8", "8A", "9", "11", "12"], s,
                         strict=True):
        wl, r = band.response
        np.testing.assert_array_equal(wl, rsr.rsrs_wvl)
        np.testing.assert_allclose(r, rsr.rsrs_norm01[key])


def test_s2_mean_response_is_mean_of_a_and_b():
    a, b, m = (get_sensor(n) for n in ("sentinel2a_l2a", "sentinel2b_l2a", "sentinel2_l2a"))
    for ba, bb, bm in zip(a, b, m, strict=True):
        wl = bm.response[0]
        ra = np.interp(wl, *ba.response, left=0, right=0)
        rb = np.interp(wl, *bb.response, left=0, right=0)
        np.testing.assert_allclose(bm.response[1], (ra + rb) / 2)
        assert ba.center_nm < bm.center_nm + 10 and abs(ba.center_nm - bb.center_nm) < 20


def test_enmap_tables():
    e = get_sensor("enmap")
    assert len(e) == 224 and e.has_fwhm
    assert e.centers[91] < e.centers[90]  # SWIR starts below the end of VNIR (product order)
    se, tg = get_sensor("enmap_spectralearth"), get_sensor("enmap_torchgeo")
    assert len(se) == len(tg) == 202
    assert np.all(np.diff(se.centers) > 0)  # SpectralEarth sorts by wavelength
    se_orig = {b.name for b in se}
    tg_orig = {b.name for b in tg}
    assert len(se_orig - tg_orig) == 7 and len(tg_orig - se_orig) == 7
    assert set(ENMAP_SPECTRALEARTH_DROPPED) ^ set(ENMAP_TORCHGEO_DROPPED) == {
        *range(145, 152), *range(160, 167)
    }


def test_enmap_spectralearth_equals_published_table(realdata):
    rows = list(csv.DictReader(open(realdata / "spectral_earth_meta/enmap_bands_remapped.csv")))
    se = get_sensor("enmap_spectralearth")
    np.testing.assert_allclose(se.centers, [float(r["center_nm"]) for r in rows])
    np.testing.assert_allclose(se.fwhm, [float(r["fwhm_nm"]) for r in rows])
    # SpectralEarth's original_idx indexes the 224 bands *sorted by wavelength* (not product
    # order); after the VNIR/SWIR overlap the two orders agree, so the dropped sets coincide.
    enmap_sorted = sorted(get_sensor("enmap"), key=lambda b: b.center_nm)
    assert [b.name for b in se] == [enmap_sorted[int(r["original_idx"])].name for r in rows]


def test_enmap_torchgeo_default_flags(realdata):
    rows = list(csv.DictReader(open(realdata / "enmap_band_centres/enmap_224_wavelengths_torchgeo.csv")))
    keep = [int(r["band"]) for r in rows if r["in_torchgeo_default_202"] == "1"]
    assert [int(b.name[1:]) for b in get_sensor("enmap_torchgeo")] == keep


def test_hyperview_and_hls():
    hv = get_sensor("hyperview")
    assert len(hv) == 150
    assert hv.centers[0] == pytest.approx(462.08) and hv.centers[-1] == pytest.approx(938.37)
    assert get_sensor("hls").names == ["BLUE", "GREEN", "RED", "NIR_NARROW", "SWIR_1", "SWIR_2"]
