"""Built-in sensors: ``get_sensor(name)`` and ``list_sensors()``.

Multispectral responses come from the tables the ``pyrsr`` package ships (ESA's Sentinel-2A/B
and USGS's Landsat-8/9 OLI relative spectral responses). Hyperspectral band tables ship with
hsiadapt in ``spectral/_data``.

EnMAP band lists — three of them, because the sources disagree:

* ``enmap``: all 224 bands in product order (VNIR 1-91, then SWIR 92-224; the two detectors
  overlap near 900-1000 nm, so the order is not monotonic).
* ``enmap_spectralearth``: the 202 bands the SpectralEarth data are written with, sorted by
  wavelength, after dropping 0-based EnMAP bands 126-140 and 145-151 (SpectralEarth's
  ``enmap_bands_remapped.csv``). The published TerraMind study used these files.
* ``enmap_spectralearth_corrected``: the same 202 positions, relabelled. SpectralEarth's own
  per-band mean spectrum shows bands labelled 1939-1958 nm (inside the deep water-vapour window)
  as bright and smooth as the 1550-1750 nm window, and a 31 % jump between labels 1968 and
  1977 nm; both vanish when positions 130-144 are read as EnMAP bands 145-159 (1575-1760 nm),
  i.e. when the data are taken to drop bands 126-140 and 160-166 like torchgeo's list
  (:mod:`hsiadapt.spectral.sanity`). Use it for maps from SpectralEarth chips when physical
  correctness matters more than bit-exact reproduction of the study.
* ``enmap_torchgeo``: torchgeo's ``EnMAP.DEFAULT_BANDS``, 202 bands in product order, which
  drops 0-based bands 126-140 and 160-166 instead. It cites the same paper but differs from
  SpectralEarth's table in 7 bands (145-151 kept, 160-166 dropped). Use it only for data written
  that way.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from hsiadapt.registry import Registry
from hsiadapt.spectral.band import Band, BandOrder, BandSet, SpectralError

__all__ = [
    "ENMAP_SPECTRALEARTH_DROPPED",
    "ENMAP_TORCHGEO_DROPPED",
    "SENTINEL2_L2A_BANDS",
    "get_sensor",
    "list_sensors",
    "register_sensor",
]

# (pyrsr band key, TerraMind band name, ESA band code) in TerraMind's S2L2A order.
SENTINEL2_L2A_BANDS: tuple[tuple[str, str, str], ...] = (
    ("1", "COASTAL_AEROSOL", "B01"),
    ("2", "BLUE", "B02"),
    ("3", "GREEN", "B03"),
    ("4", "RED", "B04"),
    ("5", "RED_EDGE_1", "B05"),
    ("6", "RED_EDGE_2", "B06"),
    ("7", "RED_EDGE_3", "B07"),
    ("8", "NIR_BROAD", "B08"),
    ("8A", "NIR_NARROW", "B8A"),
    ("9", "WATER_VAPOR", "B09"),
    ("11", "SWIR_1", "B11"),
    ("12", "SWIR_2", "B12"),
)

# Landsat OLI reflective bands 1-7 (pan and cirrus left out: no GFM in scope uses them).
_OLI_BANDS: tuple[tuple[str, str, str], ...] = (
    ("1", "COASTAL_AEROSOL", "B1"),
    ("2", "BLUE", "B2"),
    ("3", "GREEN", "B3"),
    ("4", "RED", "B4"),
    ("5", "NIR", "B5"),
    ("6", "SWIR_1", "B6"),
    ("7", "SWIR_2", "B7"),
)

# The six HLS bands Prithvi-EO-2.0 expects, under terratorch's HLSBands names. HLS harmonises
# Sentinel-2 to the Landsat-8 OLI bandpasses, so the OLI responses describe them.
_HLS_BANDS: tuple[tuple[str, str, str], ...] = (
    ("2", "BLUE", "B02"),
    ("3", "GREEN", "B03"),
    ("4", "RED", "B04"),
    ("5", "NIR_NARROW", "B05"),
    ("6", "SWIR_1", "B06"),
    ("7", "SWIR_2", "B07"),
)

#: 0-based EnMAP product-order bands SpectralEarth leaves out.
ENMAP_SPECTRALEARTH_DROPPED: tuple[int, ...] = (*range(126, 141), *range(145, 152))
#: 0-based EnMAP product-order bands torchgeo's default leaves out.
ENMAP_TORCHGEO_DROPPED: tuple[int, ...] = (*range(126, 141), *range(160, 167))


@dataclass(frozen=True)
class _Entry:
    factory: Callable[[], BandSet]
    description: str


#: the built-in sensors (the project's one registry mechanism)
SENSORS: Registry[_Entry] = Registry("sensor")


def register_sensor(name: str, description: str) -> Callable[[Callable[[], BandSet]], Callable]:
    """Decorator registering a zero-argument factory that returns the sensor's :class:`BandSet`.

    Raises:
        ValueError: the name is already registered.
    """

    def deco(factory: Callable[[], BandSet]) -> Callable[[], BandSet]:
        SENSORS.register(name)(_Entry(factory, description))
        return factory

    return deco


def list_sensors() -> dict[str, str]:
    """Names of the built-in sensors with a one-line description each."""
    return {k: SENSORS.get(k).description for k in SENSORS.names()}


@cache
def get_sensor(name: str) -> BandSet:
    """The :class:`BandSet` of a built-in sensor.

    Raises:
        KeyError: unknown name (the message lists the known ones and the closest match).
    """
    key = name.strip().lower().replace("-", "_")
    if key not in SENSORS:
        from hsiadapt.hints import unknown_name

        raise KeyError(
            unknown_name("sensor", name, SENSORS.names()) + ". For another sensor pass a file "
            "with its wavelengths (see hsiadapt.spectral.io)."
        )
    return SENSORS.get(key).factory()


# -- tabulated multispectral responses (pyrsr) ----------------------------------------------------
def _pyrsr_responses(satellite: str, sensor: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    from pyrsr import RSR

    rsr = RSR(satellite, sensor, no_pan=False, no_thermal=False)
    return np.asarray(rsr.rsrs_wvl, dtype=np.float64), {
        k: np.asarray(v, dtype=np.float64) for k, v in rsr.rsrs_norm01.items()
    }


def _centroid_and_fwhm(wl: np.ndarray, r: np.ndarray) -> tuple[float, float]:
    center = float((wl * r).sum() / r.sum())
    above = wl[r >= 0.5 * r.max()]
    return center, float(above.max() - above.min() + (wl[1] - wl[0]))


def _bands_from_table(
    wl: np.ndarray, table: dict[str, np.ndarray], spec: tuple[tuple[str, str, str], ...]
) -> list[Band]:
    bands = []
    for key, name, label in spec:
        r = table[key]
        center, fwhm = _centroid_and_fwhm(wl, r)
        bands.append(Band(name, center, fwhm, response=(wl.copy(), r.copy()), label=label))
    return bands


@register_sensor("sentinel2a_l2a", "Sentinel-2A MSI, 12 L2A bands, ESA S2A response (pyrsr)")
def _s2a() -> BandSet:
    wl, t = _pyrsr_responses("Sentinel-2A", "MSI")
    return BandSet(_bands_from_table(wl, t, SENTINEL2_L2A_BANDS), name="sentinel2a_l2a")


@register_sensor("sentinel2b_l2a", "Sentinel-2B MSI, 12 L2A bands, ESA S2B response (pyrsr)")
def _s2b() -> BandSet:
    wl, t = _pyrsr_responses("Sentinel-2B", "MSI")
    return BandSet(_bands_from_table(wl, t, SENTINEL2_L2A_BANDS), name="sentinel2b_l2a")


@register_sensor(
    "sentinel2_l2a",
    "Sentinel-2 L2A, 12 bands in TerraMind S2L2A order and names, mean of S2A and S2B responses",
)
def _s2() -> BandSet:
    wla, ta = _pyrsr_responses("Sentinel-2A", "MSI")
    wlb, tb = _pyrsr_responses("Sentinel-2B", "MSI")
    wl = np.arange(min(wla[0], wlb[0]), max(wla[-1], wlb[-1]) + 1.0, 1.0)
    mean = {
        k: 0.5
        * (
            np.interp(wl, wla, ta[k], left=0.0, right=0.0)
            + np.interp(wl, wlb, tb[k], left=0.0, right=0.0)
        )
        for k, _, _ in SENTINEL2_L2A_BANDS
    }
    return BandSet(_bands_from_table(wl, mean, SENTINEL2_L2A_BANDS), name="sentinel2_l2a")


@register_sensor("landsat8_oli", "Landsat-8 OLI reflective bands 1-7, USGS response (pyrsr)")
def _l8() -> BandSet:
    wl, t = _pyrsr_responses("Landsat-8", "OLI_TIRS")
    return BandSet(_bands_from_table(wl, t, _OLI_BANDS), name="landsat8_oli")


@register_sensor("landsat9_oli", "Landsat-9 OLI-2 reflective bands 1-7, USGS response (pyrsr)")
def _l9() -> BandSet:
    wl, t = _pyrsr_responses("Landsat-9", "OLI_TIRS")
    return BandSet(_bands_from_table(wl, t, _OLI_BANDS), name="landsat9_oli")


@register_sensor(
    "hls", "HLS, the 6 bands Prithvi-EO-2.0 expects (BLUE..SWIR_2), Landsat-8 OLI responses"
)
def _hls() -> BandSet:
    wl, t = _pyrsr_responses("Landsat-8", "OLI_TIRS")
    return BandSet(_bands_from_table(wl, t, _HLS_BANDS), name="hls")


# -- hyperspectral band tables shipped with hsiadapt ----------------------------------------------
def _read_table(filename: str) -> list[dict[str, str]]:
    text = resources.files("hsiadapt.spectral").joinpath("_data", filename).read_text()
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(lines))


@cache
def _enmap_bands() -> tuple[Band, ...]:
    rows = _read_table("enmap.csv")
    if len(rows) != 224:
        raise SpectralError(f"packaged EnMAP table has {len(rows)} rows, expected 224")
    return tuple(
        Band(f"B{int(r['band']):03d}", float(r["center_nm"]), float(r["fwhm_nm"])) for r in rows
    )


@register_sensor("enmap", "EnMAP HSI, 224 bands in product order (VNIR then SWIR), centre + FWHM")
def _enmap() -> BandSet:
    return BandSet(_enmap_bands(), name="enmap", order="any")


@register_sensor(
    "enmap_spectralearth",
    "EnMAP as SpectralEarth writes it: 202 bands sorted by wavelength (drops 0-based 126-140, 145-151)",
)
def _enmap_se() -> BandSet:
    bands = [b for i, b in enumerate(_enmap_bands()) if i not in ENMAP_SPECTRALEARTH_DROPPED]
    bands.sort(key=lambda b: b.center_nm)
    return BandSet(bands, name="enmap_spectralearth", order="any")


@register_sensor(
    "enmap_spectralearth_corrected",
    "SpectralEarth's 202 chip bands relabelled: sorted by wavelength, drops 0-based 126-140, 160-166",
)
def _enmap_se_corrected() -> BandSet:
    bands = [b for i, b in enumerate(_enmap_bands()) if i not in ENMAP_TORCHGEO_DROPPED]
    bands.sort(key=lambda b: b.center_nm)
    return BandSet(bands, name="enmap_spectralearth_corrected", order="any")


@register_sensor(
    "enmap_torchgeo",
    "EnMAP as torchgeo's default: 202 bands in product order (drops 0-based 126-140, 160-166)",
)
def _enmap_tg() -> BandSet:
    bands = [b for i, b in enumerate(_enmap_bands()) if i not in ENMAP_TORCHGEO_DROPPED]
    return BandSet(bands, name="enmap_torchgeo", order="any")


@register_sensor("hyperview", "HYPERVIEW airborne HSI, 150 bands 462-938 nm (no FWHM published)")
def _hyperview() -> BandSet:
    rows = _read_table("hyperview.csv")
    return BandSet.from_wavelengths(
        [float(r["center_nm"]) for r in rows], name="hyperview", order="increasing"
    )


# -- other imaging spectrometers: one CSV each, its source in the CSV's header ------------------
#: name -> (CSV in spectral/_data, band order, one-line description)
_TABLES: dict[str, tuple[str, BandOrder, str]] = {
    "prisma": ("prisma.csv", "detectors",
               "PRISMA HSI, 234 bands VNIR then SWIR, generic table (EnMAP-Box); products carry their own"),
    "emit": ("emit.csv", "increasing",
             "EMIT, the 285 bands of the L2A product, 381-2493 nm (emit-sds-l1b wavelength file)"),
    "desis": ("desis.csv", "increasing", "DESIS, 235 bands 402-1000 nm (EnMAP-Box table)"),
    "aviris_ng": ("aviris_ng.csv", "increasing",
                  "AVIRIS-NG, 425 channels 377-2501 nm, 2017 wavelength fit (isofit); flights carry their own"),
    "aviris_classic": ("aviris_classic.csv", "detectors",
                       "AVIRIS classic, 1992 calibration, the 220 channels of Indian Pines (92AV3C.spc)"),
    "hyperion": ("hyperion.csv", "detectors",
                 "EO-1 Hyperion, 242 bands VNIR then SWIR (USGS table); uncalibrated bands marked bad"),
}


def _table_bandset(name: str) -> BandSet:
    filename, order, _ = _TABLES[name]
    rows = _read_table(filename)
    key = "band" if "band" in rows[0] else "channel"
    return BandSet(
        [
            Band(f"B{int(r[key]):03d}", float(r["center_nm"]), float(r["fwhm_nm"]),
                 valid=r.get("calibrated", "1") != "0")
            for r in rows
        ],
        name=name,
        order=order,
    )


#: where each built-in sensor's numbers come from (``hsiadapt sensors`` prints it)
SENSOR_SOURCES: dict[str, str] = {
    "prisma": "github.com/EnMAP-Box/enmap-box@f9e8f486:"
              "enmapboxprocessing/algorithm/spectralresampling/prisma.csv",
    "emit": "github.com/emit-sds/emit-sds-l1b@8864da18:data/emit/EMIT_Wavelengths_20220817.txt",
    "desis": "github.com/EnMAP-Box/enmap-box@f9e8f486:"
             "enmapboxprocessing/algorithm/spectralresampling/desis.csv",
    "aviris_ng": "github.com/isofit/isofit@81a93cdd:isofit/test/data/wavelengths.txt",
    "aviris_classic": "github.com/spectralpython/sample-data@b2c0458d:92AV3C.spc",
    "hyperion": "USGS eo1.usgs.gov/sensors/hyperioncoverage, saved in "
                "github.com/chryss/pygaarst@6e91180d:pygaarst/data/Hyperion_Spectral_Coverage.tab",
    "enmap": "GDAL metadata of EnMAP L2A scene ENMAP01-____L2A-DT0000001867_20220724T104526Z",
    "hyperview": "HYPERVIEW challenge (AI4EO 2022) band centres",
}


def source_of(name: str) -> str:
    """Where a built-in sensor's band table comes from (the CSV header has the full note)."""
    if name in SENSOR_SOURCES:
        return SENSOR_SOURCES[name]
    if name.startswith("enmap"):
        return "the enmap table, subset / reordered as the description says"
    return "pyrsr package (ESA / USGS relative spectral responses)"


def _table_factory(name: str) -> Callable[[], BandSet]:
    def factory() -> BandSet:
        return _table_bandset(name)

    return factory


for _name, (_file, _order, _desc) in _TABLES.items():
    register_sensor(_name, _desc)(_table_factory(_name))
