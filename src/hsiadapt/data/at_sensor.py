"""Is it surface reflectance on the declared scale, or at-sensor radiance? ``data check``'s
evidence, each a problem (exit 1) naming the cause and the fix:

* the **O2-A band** (761 nm) kept deep (:func:`~hsiadapt.spectral._alignment.o2a_dip`): only
  at-sensor spectra keep it;
* the **solar-irradiance shape** (:mod:`hsiadapt.spectral._solar`): the SWIR a few percent of the
  visible, as sunlight falls, where land reflectance does not;
* **values above 100 % reflectance** under the declared scale in a large share of the pixels
  (:data:`ABOVE_SHARE`): radiance stored as integers, or another scale factor.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hsiadapt.spectral._alignment import O2A_AT_SENSOR, o2a_dip
from hsiadapt.spectral._solar import SOLAR_SWIR_RATIO, solar_shape

__all__ = ["ABOVE_SHARE", "at_sensor_problem"]

#: a share of pixels (brightest good band) above 100 % reflectance from which the declared scale
#: is wrong: real reflectance exceeds it only on clouds, snow and glints
ABOVE_SHARE = 0.25


def at_sensor_problem(bands: Any, spectrum: np.ndarray, above_share: float = 0.0) -> str | None:
    """A problem when the data do not look like surface reflectance on the declared scale.

    Args:
        bands: the band table.
        spectrum: the mean spectrum over valid pixels (any scale).
        above_share: the share of pixels whose brightest good band exceeds 100 % reflectance
            as loaded (0: not measured).
    """
    mu = np.asarray(spectrum, dtype=np.float64)
    measured = bands.valid & np.isfinite(mu) & (mu > 0)
    seen: list[str] = []
    dip = o2a_dip(bands.centers, mu, measured)
    if dip is not None and dip[0] >= O2A_AT_SENSOR:
        seen.append(f"the mean spectrum keeps the oxygen A band ({dip[1]:.0f} nm) "
                    f"{100 * dip[0]:.0f}% deep, as at-sensor radiance (or top-of-atmosphere "
                    "reflectance) does; surface reflectance products keep at most a few percent "
                    "of it")
    ratio = solar_shape(bands.centers, mu, measured)
    if ratio is not None and ratio < SOLAR_SWIR_RATIO:
        seen.append(f"the mean spectrum falls like sunlight: at 2050-2250 nm it is "
                    f"{100 * ratio:.0f}% of its visible peak (radiance: about 5-10%; land "
                    "reflectance: 100% or more)")
    radiance = bool(seen)
    if above_share >= ABOVE_SHARE:
        seen.append(f"{100 * above_share:.0f}% of the pixels exceed 100% reflectance under the "
                    "declared scale")
    if not seen:
        return None
    if radiance:
        return ("; ".join(seen) + ". These are at-sensor values, not the surface reflectance "
                "the loaders expect (x 10000): convert the data to surface reflectance first "
                "(atmospheric correction, e.g. ISOFIT, 6S, ATCOR, FLAASH) or use the producer's "
                "L2A product")
    return ("; ".join(seen) + ": the declared scale does not give reflectance. Set "
            "reflectance_scale (dataset_args; --arg reflectance_scale=F) to the factor that "
            "turns the values into reflectance, or if they are radiance convert them to surface "
            "reflectance first")
