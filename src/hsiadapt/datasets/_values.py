"""Values no reflectance product holds: damaged bytes in a chip (for :mod:`.raster`).

A chip with flipped bytes still opens, and its damaged values used to be trained on (or
normalised into the statistics) without a word. Two signatures are noticed, per good band:

* a value on the sample scale (reflectance x 10000) outside ``PLAUSIBLE`` (-0.5..2.0 in
  reflectance): far beyond what surface reflectance reaches, e.g. a flipped sign or high bit in
  an int16 DN, or a flipped exponent bit in a float (1e30) - in at most ``DAMAGE_SHARE`` of the
  chip's values (a whole file out of range is on another scale or in other units, which the
  scale checks report);
* NaN or infinity in some good bands of a pixel but not all: a nodata pixel is nodata in every
  band; a damaged value is alone.

Either is refused, naming the file, the band (0-based) and a pixel, with the fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hsiadapt.datasets.base import HSIDataError

__all__ = ["PLAUSIBLE", "check_plausible"]

#: the range of a plausible surface reflectance on the sample scale (reflectance x 10000)
PLAUSIBLE = (-5000.0, 20000.0)
#: at most this share of a chip's values out of range reads as damage (more: another scale)
DAMAGE_SHARE = 0.01

_FIX = ("the file is damaged (flipped bytes, a bad copy or download): copy or download it again. "
        "If the values are right but not reflectance x 10000 (radiance, another scale factor), "
        "set reflectance_scale (dataset_args in a config, --arg on the CLI) to the factor that "
        "gives reflectance")


def _where(mask: np.ndarray) -> tuple[int, int, int]:
    b, r, c = (int(i[0]) for i in np.nonzero(mask))
    return b, r, c


def check_plausible(path: Path, raw: np.ndarray, image: np.ndarray, good: np.ndarray,
                    valid: np.ndarray, nodata: float | None) -> None:
    """Refuse a chip holding values no reflectance product holds (see the module docstring).

    Args:
        path: the file (for the message).
        raw: the file's values ``(C, H, W)`` as read (float32).
        image: the values on the sample scale ``(C, H, W)`` (reflectance x 10000; 0 where bad).
        good: good-band flags ``(C,)``.
        valid: valid pixels ``(H, W)`` (no nodata or non-finite value in a good band).
        nodata: the file's nodata value, if any.

    Raises:
        HSIDataError: naming the file, the band and a pixel, with the fix.
    """
    idx = np.flatnonzero(good)
    finite = np.isfinite(raw[idx])
    partial = ~finite & finite.any(axis=0)[None]  # non-finite where the pixel has other values
    if nodata is not None and np.isfinite(nodata):
        partial &= (raw[idx] != nodata).all(axis=0)[None]  # nodata pixels are not damage
    if partial.any():
        b, r, c = _where(partial)
        n = int(partial.sum())
        raise HSIDataError(
            f"{path}: band {idx[b]} (0-based) holds {raw[idx[b], r, c]} at row {r}, column {c} "
            f"({n} non-finite value{'s' if n > 1 else ''} in pixels whose other bands hold "
            f"numbers; a nodata pixel is nodata in every band): {_FIX}")
    lo, hi = PLAUSIBLE
    sub = image[idx]
    out = ((sub < lo) | (sub > hi)) & valid[None]
    # damage touches a few values; when many are out of range the file is on another scale or
    # in other units (radiance): the scale checks (`data check`, the statistics' units,
    # `predict`) say that in its own terms
    if out.any() and out.sum() <= DAMAGE_SHARE * max(1, int(valid.sum()) * len(idx)):
        b, r, c = _where(out)
        n = int(out.sum())
        raise HSIDataError(
            f"{path}: band {idx[b]} (0-based) holds {raw[idx[b], r, c]:.6g} at row {r}, column "
            f"{c} - reflectance {sub[b, r, c] / 10000:.4g}, outside anything a surface reflects "
            f"({lo / 10000:g}..{hi / 10000:g}); {n} such value{'s' if n > 1 else ''} in the "
            f"file: {_FIX}")
