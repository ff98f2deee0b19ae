"""Does a mask lie on its image's grid? (for :mod:`hsiadapt.datasets.folder`)

A mask and its image are paired by file name only. A mask from another scene, or one
reprojected or shifted on export, has the right size and trains without a word - on labels of
other ground. Both files' georeferencing is compared (metadata only, no pixels): another CRS,
another pixel size, or an origin more than half a pixel away is refused, naming both files and
the fix. Files without georeferencing (plain chips) are not compared.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hsiadapt.datasets.base import HSIDataError

__all__ = ["check_mask_grids", "grid_problem"]

_FIX = ("the mask belongs to another scene, or was reprojected or shifted when exported: "
        "export it on the image's grid (same CRS, transform and size, e.g. gdalwarp -t_srs, "
        "-te and -ts from the image), or pair the right files")

#: results per (image, mask) and their stamps: a dataset is opened once per split and by
#: ``data check``; unchanged files are compared once per process
_SEEN: dict[tuple, str | None] = {}


def _grid(path: Path):
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            return src.crs, src.transform


def _stamp(p: Path) -> tuple:
    st = p.stat()
    return str(p), st.st_size, st.st_mtime_ns


def grid_problem(image: Path, mask: Path) -> str | None:
    """Why ``mask`` is not on ``image``'s grid, or ``None`` (same grid, or either file without
    georeferencing, or a file that does not open - reading it reports that)."""
    try:
        key = (_stamp(image), _stamp(mask))
    except OSError:
        return None
    if key in _SEEN:
        return _SEEN[key]
    try:
        (icrs, it), (mcrs, mt) = _grid(image), _grid(mask)
    except Exception:  # unreadable: the read itself says so, with the file's name
        return None
    why = None
    if icrs is not None and mcrs is not None and not it.is_identity and not mt.is_identity:
        px = max(abs(it.a), abs(it.e)) or 1.0
        if icrs != mcrs:
            why = f"CRS {mcrs.to_string()} where the image has {icrs.to_string()}"
        elif abs(abs(mt.a) - abs(it.a)) > 0.01 * abs(it.a) or \
                abs(abs(mt.e) - abs(it.e)) > 0.01 * abs(it.e):
            why = f"pixel size {abs(mt.a):g} x {abs(mt.e):g} where the image's is " \
                  f"{abs(it.a):g} x {abs(it.e):g}"
        else:
            dist = ((mt.c - it.c) ** 2 + (mt.f - it.f) ** 2) ** 0.5
            if dist > 0.5 * px:
                unit = "km" if icrs.is_projected and dist >= 1000 else None
                far = f"{dist / 1000:.1f} km" if unit else f"{dist:.4g} CRS units"
                why = (f"its origin is {far} ({dist / px:.1f} pixels) from the image's "
                       f"({mt.c:.6g}, {mt.f:.6g} vs {it.c:.6g}, {it.f:.6g})")
    out = None if why is None else (
        f"mask {mask} is not on the grid of its image {image}: {why}. Its labels would be "
        f"trained and scored on other ground; {_FIX}")
    if len(_SEEN) > 100_000:
        _SEEN.clear()
    _SEEN[key] = out
    return out


def check_mask_grids(pairs: Iterable[tuple[Path, Path]]) -> None:
    """Raise when a mask is not on its image's grid (see :func:`grid_problem`).

    Raises:
        HSIDataError: naming both files of each pair that differs (up to five), how they
            differ and the fix.
    """
    bad = [why for image, mask in pairs if (why := grid_problem(image, mask)) is not None]
    if bad:
        more = f" (and {len(bad) - 5} more masks)" if len(bad) > 5 else ""
        raise HSIDataError("HSIFolder: " + "\n".join(bad[:5]) + more)
