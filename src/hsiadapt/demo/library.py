"""The real spectra behind the embedded benchmark: the earthlib spectral library.

earthlib (PyPI ``earthlib``, MIT licence, Christopher Anderson; https://github.com/earth-chris/earthlib)
ships 7,261 reflectance spectra at 10 nm from 400 to 2450 nm (the 1360-1450 and 1800-1950 nm
water windows left out): 4,185 measured soils from the ICRAF-ISRIC soil spectral library, 1,085
ASD field/lab measurements of urban materials, bark, litter, wood and char, and 2,000 PROSAIL
canopy simulations whose names carry LAI, LMA, chlorophyll and N. hsiadapt reads the library's
ENVI file directly and resamples it to a sensor through the sensor's band responses.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from hsiadapt.spectral import BandSet, build_map
from hsiadapt.spectral.library import read_envi_library

__all__ = ["Library", "load_library", "parse_prosail_name"]

_PROSAIL = re.compile(r"v-LAI-([0-9.e+-]+)-LMA-([0-9.]+)-CHL-([0-9.]+)-N-([0-9.]+)$")


@dataclass(frozen=True)
class Library:
    """Spectra ``(N, B)`` (reflectance 0-1) with their band table and per-spectrum metadata."""

    bands: BandSet
    spectra: np.ndarray
    names: tuple[str, ...]
    level3: tuple[str, ...]
    level2: tuple[str, ...]
    source: tuple[str, ...]

    def select(self, level3: tuple[str, ...] | None = None,
               level2: tuple[str, ...] | None = None) -> np.ndarray:
        """Indices of the spectra whose LEVEL_3 (or LEVEL_2) class is listed."""
        keep = np.ones(len(self.names), bool)
        if level3 is not None:
            keep &= np.isin(self.level3, level3)
        if level2 is not None:
            keep &= np.isin(self.level2, level2)
        return np.flatnonzero(keep)

    def resample(self, target: BandSet, coverage: str = "nearest") -> np.ndarray:
        """The library seen by ``target``: Gaussian integration of each spectrum against the
        target's band responses (library bands are 10 nm wide); ``(N, len(target))``."""
        m = build_map(self.bands, target, "srf", integration="gaussian",
                      coverage=coverage)  # type: ignore[arg-type]
        return self.spectra @ m.matrix


def parse_prosail_name(name: str) -> tuple[float, float, float, float] | None:
    """``(LAI, LMA, CHL, N)`` from a PROSAIL spectrum name, None for other spectra."""
    m = _PROSAIL.match(name)
    return tuple(float(x) for x in m.groups()) if m else None  # type: ignore[return-value]


@cache
def load_library() -> Library:
    """Read earthlib's spectral library (package data; no network)."""
    data = resources.files("earthlib").joinpath("data")
    lib = read_envi_library(str(data.joinpath("spectra.sli")), "earthlib")
    spectra = np.array(lib.spectra, dtype=np.float64)
    n = spectra.shape[0]
    rows = list(csv.DictReader(io.StringIO(data.joinpath("spectra.csv").read_text())))
    if len(rows) != n:
        raise ValueError(f"earthlib metadata has {len(rows)} rows for {n} spectra")
    # earthlib's header gives no FWHM; its spectra are 10 nm samplings
    bands = BandSet.from_wavelengths(lib.bands.centers, fwhm=10.0, name="earthlib",
                                     order="increasing")
    return Library(bands=bands, spectra=spectra, names=tuple(r["NAME"] for r in rows),
                   level3=tuple(r["LEVEL_3"] for r in rows),
                   level2=tuple(r["LEVEL_2"] for r in rows),
                   source=tuple(r["SOURCE"] for r in rows))
