"""The spectral sanity check: quiet on real data with correct tables, loud on wrong ones.

Real cubes come from ../shared/extdata (HSIADAPT_EXTDATA) and ../shared/realdata (HSIADAPT_REALDATA);
those tests skip with a reason when the files are absent. The synthetic tests need no files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hsiadapt.spectral import BandSet, get_sensor
from hsiadapt.spectral.io import load_bandset, read_geotiff_bands
from hsiadapt.spectral.library import read_envi_library
from hsiadapt.spectral.sanity import spectral_sanity


def strong(findings) -> list:
    """Findings that blame the labels. Findings without a severity (as the check once wrote
    them: "labels probably shifted") count as such claims."""
    return [f for f in findings if getattr(f, "severity", "strong") == "strong"]


def relabel(bands: BandSet, centers: np.ndarray) -> BandSet:
    """The same bands (flags, FWHM, data order) with other centres."""
    d = bands.to_dict()
    d["centers"] = [float(x) for x in centers]
    return BandSet.from_dict(d)


def reverse_range(c: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Labels of the bands in [lo, hi] nm reversed (one detector read the other way round)."""
    c = c.copy()
    idx = np.flatnonzero((c >= lo) & (c <= hi))
    idx = idx[np.argsort(c[idx])]
    c[idx] = c[idx][::-1]
    return c


def swap_blocks(c: np.ndarray, a: float, b: float, width: float) -> np.ndarray:
    """Labels of the bands in [a, a + width) and [b, b + width) swapped."""
    c = c.copy()
    ia = np.flatnonzero((c >= a) & (c < a + width))
    ib = np.flatnonzero((c >= b) & (c < b + width))
    n = min(ia.size, ib.size)
    ia, ib = ia[np.argsort(c[ia])][:n], ib[np.argsort(c[ib])][:n]
    c[ia], c[ib] = c[ib].copy(), c[ia].copy()
    return c


# -- synthetic: no files needed ------------------------------------------------------------------
def _transmittance(x: np.ndarray) -> np.ndarray:
    """Two deep water-vapour windows with sloping edges (1 = clear, ~0 = absorbed)."""
    t = np.ones_like(x)
    for a, b, c, d in ((1320, 1355, 1415, 1450), (1780, 1815, 1945, 1985)):
        ramp = np.clip(np.minimum((x - a) / (b - a), (d - x) / (d - c)), 0, 1)
        t *= 1 - 0.99 * ramp
    return t


def _synthetic_reflectance(c: np.ndarray) -> np.ndarray:
    """Smooth vegetation-like reflectance (red edge, SWIR slope) times the atmosphere."""
    swir = np.clip((c - 1100) / 1300, 0, 1)
    surface = 0.06 + 0.01 * np.sin(c / 70) + 0.35 / (1 + np.exp(-(c - 715) / 12)) - 0.12 * swir**1.5
    return surface * _transmittance(c)


def test_synthetic_enmap_spectrum_is_clean():
    enmap = get_sensor("enmap")
    mu = _synthetic_reflectance(enmap.centers)
    assert spectral_sanity(enmap, mu) == []


@pytest.mark.parametrize("shift", [-80, -60, 40, 60])
def test_synthetic_enmap_shifted_labels_flagged_strongly(shift):
    """EnMAP samples the windows sparsely (no bands at 1391-1461 and 1760-1939 nm), so shifts
    below about 40 nm leave too little displaced absorption to be sure."""
    enmap = get_sensor("enmap")
    mu = _synthetic_reflectance(enmap.centers)
    found = strong(spectral_sanity(relabel(enmap, enmap.centers + shift), mu))
    assert found and all(f.kind == "displaced-absorption" for f in found)
    assert any(abs(f.value - shift) <= 15 for f in found), [f.value for f in found]


def _one_sided_gaps() -> np.ndarray:
    """Hyperion's table as the Botswana scene keeps it (channels 10-55, 82-97, 102-119, 134-164,
    187-220): no band from 1336 to 1488 nm nor from 1790 to 2022 nm, gaps reaching 40 nm past
    each window's long side."""
    h = get_sensor("hyperion").centers
    kept = [(10, 55), (82, 97), (102, 119), (134, 164), (187, 220)]
    return np.sort(h[np.concatenate([np.arange(a - 1, b) for a, b in kept])])


def test_gaps_wider_on_one_side_of_the_windows_are_not_a_shift():
    """The fit centres a window in a gap of removed bands; the measured band on the window's
    rising edge (1336 nm, half absorbed) refutes that. (The old check said '+24 nm'.)"""
    c = _one_sided_gaps()
    mu = _synthetic_reflectance(c)
    assert not strong(spectral_sanity(_bandset(c), mu, imagery=True))


@pytest.mark.parametrize("shift", [60, -60])
def test_gaps_wider_on_one_side_still_show_a_shifted_table(shift):
    c = _one_sided_gaps()
    found = strong(spectral_sanity(_bandset(c + shift), _synthetic_reflectance(c), imagery=True))
    assert found and all(np.sign(f.value) == np.sign(shift) for f in found), found


def _bandset(c: np.ndarray) -> BandSet:
    return BandSet.from_dict({"centers": [float(x) for x in c], "order": "any"})


def test_synthetic_enmap_reversed_swir_flagged_strongly():
    enmap = get_sensor("enmap")
    mu = _synthetic_reflectance(enmap.centers)
    swir = np.arange(len(enmap)) >= 91  # EnMAP stores VNIR (91 bands), then SWIR
    c = enmap.centers.copy()
    c[swir] = c[swir][::-1]
    found = strong(spectral_sanity(relabel(enmap, c), mu))
    assert found and "reversed or swapped" in found[0].message


def test_fill_and_interpolated_bands_are_not_blamed_on_labels():
    """EMIT writes -0.01 into bad bands, Hyperion products interpolate across a window."""
    enmap = get_sensor("enmap")
    c = enmap.centers
    mu = _synthetic_reflectance(c)
    w1 = (c >= 1340) & (c <= 1430)
    filled = mu.copy()
    filled[w1] = -0.01
    flagged = BandSet.from_dict({**enmap.to_dict(), "valid": (~w1).tolist()})
    assert spectral_sanity(flagged, filled) == []  # flagged fill where absorption belongs
    found = spectral_sanity(enmap, filled)  # the same fill, not flagged: only a note
    assert [(f.kind, f.severity) for f in found] == [("fill-band", "weak")]
    lo, hi = 1300.0, 1500.0
    span = (c > lo) & (c < hi)
    lin = mu.copy()
    lin[span] = np.interp(c[span], [lo, hi], _synthetic_reflectance(np.array([lo, hi])))
    found = spectral_sanity(enmap, lin)  # bright and smooth across the window, but a fill
    assert [(f.kind, f.severity) for f in found] == [("fill-band", "weak")]
    assert "interpolated" in found[0].message


def test_noisy_first_bands_and_absorption_lines_are_not_jumps():
    c = np.arange(380.0, 1000.0, 5.0)
    mu = 0.3 + 0.1 * np.sin(c / 150)
    mu[:2] = [0.02, 0.05]  # dark, noisy first bands
    mu[(c >= 760) & (c <= 765)] *= 0.5  # the O2-A line in radiance
    b = BandSet.from_wavelengths(c)
    assert spectral_sanity(b, mu) == []
    mu[90:] *= 1.5  # a step at 830 nm, away from absorption lines: data order and labels disagree
    found = spectral_sanity(b, mu)
    assert [(f.kind, f.severity) for f in found] == [("jump", "weak")]
    assert "labels that do not match the data order" in found[0].message


# -- real cubes with their published (correct) wavelength tables ---------------------------------
#: name -> (path under extdata, nodata value)
CUBES: dict[str, tuple[str, float | None]] = {
    "AVIRIS-NG radiance (small chunk)": (
        "isofit_avirisng_small_chunk/ang20170323t202244_rdn_7000-7010",
        None,
    ),
    "AVIRIS-NG radiance (topoflux)": (
        "isofit_avirisng_topoflux/ang20160910t185702_2rdn_img",
        -9999,
    ),
    "PRISM radiance": ("isofit_prism_2px/prm20231110t071521_rdn_two_px", None),
    "AVIRIS-3 radiance": ("isofit_aviris3_1px/AV320250308t200738_rdn.img", None),
    "EMIT reflectance": ("emit_spectralunmixing_rfl/emit20250324t221005_jpl_unmix_ex", -9999),
    "Hyperion reflectance": ("enmapbox_hyperion_gamsberg/cubus_gamsberg_subset", None),
    "AVIRIS-classic Santa Barbara": (
        "gatorsense_aviris_santabarbara/derived_envi/aviris_20140416_lacumbre_sub.bsq",
        None,
    ),
    "CASI MUUFL": ("gatorsense_muufl_casi/derived_envi/muufl_gulfport_casi_sub.bsq", None),
    "Cubert UHD 285": ("cubert_uhd285_hydresgeo/Auto017.cue", None),
    "lab VNIR corn": ("plantcv_corn_kernel_vnir/corn-kernel-hyperspectral.raw", None),
}
#: cubes covering both deep water-vapour windows
SWIR = [k for k in CUBES if k.split()[0] in ("AVIRIS-NG", "AVIRIS-3", "EMIT", "Hyperion")] + [
    "AVIRIS-classic Santa Barbara"
]


def _mean(path: Path, nodata: float | None) -> np.ndarray:
    rasterio = pytest.importorskip("rasterio")
    with rasterio.open(path) as src:
        a = src.read().astype(np.float64).reshape(src.count, -1)
    if nodata is not None:
        a = np.where(a == nodata, np.nan, a)
    return np.nanmean(a, axis=1)


@pytest.fixture(scope="module")
def cube(request, extdata):
    cache: dict[str, tuple[BandSet, np.ndarray]] = {}

    def load(name: str) -> tuple[BandSet, np.ndarray]:
        if name not in cache:
            rel, nodata = CUBES[name]
            path = extdata / rel
            if not path.is_file():
                pytest.skip(f"{rel} not in {extdata}")
            # the topoflux header keeps its wavelengths in band names; GDAL's .aux.xml has them
            bands = (
                read_geotiff_bands(path, order="any")
                if "topoflux" in rel
                else load_bandset(path, order="any")
            )
            cache[name] = (bands, _mean(path, nodata))
        return cache[name]

    return load


@pytest.mark.parametrize("name", list(CUBES))
def test_real_cube_with_correct_table_has_no_strong_finding(cube, name):
    bands, mu = cube(name)
    assert not strong(spectral_sanity(bands, mu)), name


@pytest.mark.parametrize("shift", [-60, -30, 30, 60])
@pytest.mark.parametrize("name", SWIR)
def test_real_cube_with_shifted_table_is_flagged_strongly(cube, name, shift):
    bands, mu = cube(name)
    found = strong(spectral_sanity(relabel(bands, bands.centers + shift), mu))
    assert found, name
    assert any(abs(f.value - shift) <= 15 for f in found), [f.value for f in found]


@pytest.mark.parametrize("name", SWIR)
def test_real_cube_with_reversed_swir_is_flagged_strongly(cube, name):
    bands, mu = cube(name)
    assert strong(spectral_sanity(relabel(bands, reverse_range(bands.centers, 1000, 2600)), mu))


@pytest.mark.parametrize("name", [k for k in SWIR if "Hyperion" not in k])
def test_real_cube_with_swapped_block_is_flagged_strongly(cube, name):
    bands, mu = cube(name)
    assert strong(spectral_sanity(relabel(bands, swap_blocks(bands.centers, 1700, 1880, 100)), mu))


#: real spectral libraries: lab and field spectra, measured without an atmosphere
LIBRARIES = [
    "earthlib_speclib/spectra.sli",
    "enmapbox_spectral_libraries/library_berlin.sli",
    "qps_aviris_urban_speclib/roberts2017_urban.sli",
    "isofit_spectral_libraries/ecostress_snow_mixtures",
    "enmapbox_hyperion_gamsberg/gamsberg_field_library",
]


@pytest.mark.parametrize("rel", LIBRARIES)
def test_real_library_mean_has_no_strong_finding(extdata, rel):
    if not (extdata / rel).is_file():
        pytest.skip(f"{rel} not in {extdata}")
    lib = read_envi_library(extdata / rel, order="any")
    assert not strong(spectral_sanity(lib.bands, lib.spectra.mean(axis=0)))


# -- real EnMAP L2A tiles (../shared/realdata) ---------------------------------------------------
@pytest.fixture(scope="module")
def enmap_tiles(realdata):
    tifs = sorted((realdata / "enmap_potsdam_tiles/images").glob("*.tif"))
    if not tifs:
        pytest.skip(f"no EnMAP tiles in {realdata / 'enmap_potsdam_tiles/images'}")
    bands = read_geotiff_bands(tifs[0], order="any")
    mu = np.nanmean([_mean(t, -32768) for t in tifs], axis=0)
    return bands, np.where(np.isfinite(mu), mu, 0.0)  # bad bands are nodata everywhere


def test_real_enmap_l2a_is_clean_and_shifts_are_flagged(enmap_tiles):
    bands, mu = enmap_tiles
    assert spectral_sanity(bands, mu) == []  # despite the spike at 1939 nm and flagged bands
    for shift in (-60, 60):
        assert strong(spectral_sanity(relabel(bands, bands.centers + shift), mu)), shift
    assert strong(spectral_sanity(relabel(bands, reverse_range(bands.centers, 1000, 2600)), mu))


# -- wrong tables of the kind users build by hand (issue 18), on real cubes ----------------------
def _table(c: np.ndarray) -> BandSet:
    """A table of these centres in data order (AVIRIS classic's spectrometers overlap)."""
    return BandSet.from_dict({"centers": [float(x) for x in c], "order": "any"})


def _without_water_bands(bands: BandSet, mu: np.ndarray) -> tuple[BandSet, np.ndarray]:
    """The cube as Indian Pines / Jasper Ridge users keep it: water-vapour, flagged and fill
    bands removed from the data and from the table."""
    c = bands.centers
    keep = bands.valid & np.isfinite(mu) & (mu > 0)
    for lo, hi in ((1330.0, 1460.0), (1780.0, 1970.0)):
        keep &= ~((c >= lo) & (c <= hi))
    idx = np.flatnonzero(keep)
    reduced = _table(c[idx])
    return reduced, mu[idx]


#: AVIRIS-like cubes (AVIRIS-NG, AVIRIS-3, AVIRIS classic) and EMIT
AVIRIS_LIKE = [k for k in SWIR if "Hyperion" not in k]


@pytest.mark.parametrize("name", AVIRIS_LIKE)
def test_reduced_cube_with_its_correct_table_is_quiet(cube, name):
    bands, mu = cube(name)
    assert not strong(spectral_sanity(bands, mu, imagery=True)), name
    b, m = _without_water_bands(bands, mu)
    assert not strong(spectral_sanity(b, m, imagery=True)), name


@pytest.mark.parametrize("wrong", ["+30", "-30", "first-N", "first-N-after-3", "even"])
@pytest.mark.parametrize("name", AVIRIS_LIKE)
def test_reduced_cube_with_a_wrong_table_is_flagged_strongly(cube, name, wrong):
    bands, mu = cube(name)
    b, m = _without_water_bands(bands, mu)
    full = np.sort(bands.centers)
    if wrong in ("+30", "-30"):
        c = b.centers + float(wrong)
    elif wrong == "first-N":  # the first N channels of the sensor's table
        c = full[: len(b)]
    elif wrong == "first-N-after-3":  # Jasper Ridge: the first 3 channels were removed too
        b, m = _table(b.centers[3:]), m[3:]
        c = full[: len(b)]
    else:
        c = np.linspace(400.0, 2500.0, len(b))
    found = strong(spectral_sanity(_table(c), m, imagery=True))
    assert found, (name, wrong)
    if wrong in ("+30", "-30"):
        assert any(abs(f.value - float(wrong)) <= 16 for f in found), [f.value for f in found]
    if wrong.startswith("first-N"):
        assert any("first" in f.message and "channels of a" in f.message for f in found)


def test_libraries_are_not_imagery(extdata):
    """Lab and field libraries are bright in the windows: a note, not a strong finding, unless
    the caller says the spectra are imagery."""
    rel = "enmapbox_hyperion_gamsberg/gamsberg_field_library"
    if not (extdata / rel).is_file():
        pytest.skip(f"{rel} not in {extdata}")
    lib = read_envi_library(extdata / rel, order="any")
    assert not strong(spectral_sanity(lib.bands, lib.spectra.mean(axis=0)))
    assert strong(spectral_sanity(lib.bands, lib.spectra.mean(axis=0), imagery=True))


@pytest.mark.parametrize("name", list(CUBES))
def test_radiance_is_told_from_reflectance(cube, name):
    """AVIRIS-NG, AVIRIS-3 and PRISM radiance keep the O2-A band deep; reflectance does not."""
    from hsiadapt.data.check import at_sensor_problem

    bands, mu = cube(name)
    problem = at_sensor_problem(bands, mu)
    radiance = name.split()[0] in ("AVIRIS-NG", "AVIRIS-3", "PRISM")
    assert (problem is not None) == radiance, (name, problem)
    if radiance:
        assert "surface reflectance first" in problem
