"""The shape sunlight gives an at-sensor spectrum: radiance falls steeply from the visible to the
short-wave infrared, reflectance of land does not.

Solar irradiance at the top of the atmosphere is about 1.9 W m-2 nm-1 at 500 nm and 0.08 at
2200 nm, so at-sensor radiance at 2050-2250 nm is a few percent to ~10 % of its visible peak
whatever the ground. The surface reflectance of vegetation, soil and built-up land is as high
there as in the visible or higher. Measured on the real cubes in ``../shared/extdata`` and
``../shared/realdata`` (median 2050-2250 nm over the 450-650 nm maximum): AVIRIS-NG, AVIRIS-3
radiance 0.056-0.109; EMIT, Hyperion, AVIRIS-classic and EnMAP reflectance 1.39-1.70.

Open water is dark in the SWIR in reflectance too: it is told apart by its dark near infrared
(800-900 nm), so a scene whose near infrared is below half its visible peak is not judged (the
O2-A band and the values' range decide there). Without bands at both ends (VNIR cameras) there is
no judgement either.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SOLAR_SWIR_RATIO", "solar_shape"]

#: SWIR (2050-2250 nm median) over the visible (450-650 nm maximum) below which a land scene's
#: mean spectrum has the solar-irradiance shape of at-sensor radiance (real: <= 0.11 radiance,
#: >= 1.39 reflectance)
SOLAR_SWIR_RATIO = 0.3
_NIR_LAND = 0.5  # near infrared at least this share of the visible peak: not open water


def solar_shape(c: np.ndarray, mu: np.ndarray, measured: np.ndarray) -> float | None:
    """The SWIR-to-visible ratio of a land scene's mean spectrum (see the module docstring), or
    ``None`` when it cannot be judged (no bands at both ends, or a water-dark near infrared)."""
    c = np.asarray(c, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    ok = np.asarray(measured, bool) & np.isfinite(mu) & (mu > 0)

    def part(lo: float, hi: float) -> np.ndarray:
        return mu[ok & (c >= lo) & (c <= hi)]

    vis, nir, swir = part(450.0, 650.0), part(800.0, 900.0), part(2050.0, 2250.0)
    if vis.size < 3 or nir.size < 2 or swir.size < 3:
        return None
    peak = float(vis.max())
    if float(nir.max()) < _NIR_LAND * peak:
        return None
    return float(np.median(swir)) / peak
