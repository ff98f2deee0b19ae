"""The images of a folder and the band table they share (for :mod:`hsiadapt.datasets.folder`).

Images are GDAL rasters with an image suffix and ENVI binaries found from their headers, named any
way (``scene`` + ``scene.hdr``, ``scene.img.hdr``...). Every image's band table is read; the one
most images share is the folder's, the others are "odd" and listed with the reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hsiadapt.datasets.base import HSIDataError
from hsiadapt.spectral import BandSet, SpectralError
from hsiadapt.spectral.envi import resolve_envi_pair
from hsiadapt.spectral.io import load_bandset

__all__ = ["IMAGE_EXT", "PRODUCT_EXT", "cached_majority", "given_bands", "list_images", "mask_file",
           "product_label_names"]

#: suffixes of image files (besides ENVI data files found from their headers)
IMAGE_EXT = (".tif", ".tiff", ".img", ".dat", ".bsq", ".bil", ".bip")


#: suffixes of mission products recognised by content (EMIT ``.nc``, PRISMA ``.he5``)
PRODUCT_EXT = (".nc", ".he5", ".h5")


def list_images(folder: Path) -> list[str]:
    """Image file names in ``folder``: rasters with an image suffix, the data file of every
    ENVI header (``scene`` + ``scene.hdr``, ``scene.img.hdr``...), and mission products as
    downloaded: EMIT / PRISMA files (recognised by content) and EnMAP / DESIS product folders (named
    ``FOLDER/<name>-SPECTRAL_IMAGE.TIF``). A header whose data file is missing is an error
    naming it."""
    from hsiadapt.spectral.products import detect_product

    names = {p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXT}
    names |= {p.name for p in folder.iterdir()
              if p.is_file() and p.suffix.lower() in PRODUCT_EXT and detect_product(p)}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        names |= {f"{sub.name}/{t.name}" for t in sub.iterdir()
                  if t.is_file() and detect_product(t) in ("enmap", "desis")
                  and t.suffix.lower() in (".tif", ".tiff")}
    for hdr in sorted(p for p in folder.iterdir() if p.suffix.lower() == ".hdr"):
        try:
            names.add(resolve_envi_pair(hdr)[0].name)
        except SpectralError as err:
            raise HSIDataError(f"HSIFolder: {err}") from None
    return sorted(names)


def _envi_library(path: Path) -> bool:
    """True when ``path`` is (the data file of) an ENVI spectral library, not an image."""
    from hsiadapt.spectral.envi import _read_header, is_library

    try:
        return is_library(_read_header(resolve_envi_pair(path)[1]))
    except (SpectralError, OSError):
        return False


def _band_count(path: Path) -> int:
    """The band count of one image (ENVI header field, else the raster's)."""
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            return int(src.count)


_MAJORITY: dict[tuple, tuple[BandSet, dict[str, str]]] = {}


def cached_majority(
    image_dir: Path, files: Sequence[str], override: BandSet | None
) -> tuple[BandSet, dict[str, str]]:
    """:func:`_majority_bands`, read once per process for unchanged files (each split and
    ``data check`` open the folder again; a large folder's metadata are read once)."""
    stamp = tuple((f, (st := (image_dir / f).stat()).st_size, st.st_mtime_ns) for f in files)
    key = (str(image_dir.absolute()), stamp,
           None if override is None else tuple(override.centers.round(3).tolist()))
    if key not in _MAJORITY:
        if len(_MAJORITY) > 32:
            _MAJORITY.clear()
        _MAJORITY[key] = _majority_bands(image_dir, files, override)
    bands, odd = _MAJORITY[key]
    return bands, dict(odd)


def _majority_bands(
    image_dir: Path, files: Sequence[str], override: BandSet | None
) -> tuple[BandSet, dict[str, str]]:
    """The band table most ``files`` agree on (or ``override``), and ``{file: why it differs}``
    for the others."""
    why: dict[str, str] = {}
    sig: dict[str, tuple] = {}
    tables: dict[tuple, BandSet] = {}
    for f in files:
        if _envi_library(image_dir / f):
            why[f] = ("an ENVI spectral library (one spectrum per line), not an image; use it "
                      "as a band table (hsiadapt spectral) or move it out of the image folder")
            continue
        try:
            if override is not None:
                n = _band_count(image_dir / f)
                key: tuple = (n,)
                if n != len(override):
                    why[f] = f"{n} bands, but the band table given has {len(override)}"
                    continue
            else:
                b = load_bandset(image_dir / f)
                key = (len(b), tuple(np.round(b.centers, 1).tolist()))
                tables.setdefault(key, b)
        except Exception as err:  # unreadable metadata makes the file odd, not the folder
            why[f] = f"band table unreadable ({err})"
            continue
        sig[f] = key
    if not sig:
        first = next(iter(why.items()), ("", "no images"))
        what = (f"matches the band table given ({len(override)} bands)" if override is not None
                else "has a usable band table")
        raise HSIDataError(f"HSIFolder: none of the {len(files)} images in {image_dir} {what}; "
                           f"{first[0]}: {first[1]}")
    counts = Counter(sig.values())
    best = max(counts, key=lambda k: (counts[k], -list(sig.values()).index(k)))
    if override is not None:
        bands = override
    else:  # named after the folder, not after the file it was first read from
        bands = tables[best].subset(range(len(tables[best])), name=image_dir.parent.name)
    for f, k in sig.items():
        if k != best:
            other = tables.get(k)
            if len(k) and k[0] != len(bands):
                why[f] = f"{k[0]} bands where {counts[best]} of {len(files)} images have {len(bands)}"
            elif other is not None:
                d = np.abs(other.centers - bands.centers)
                j = int(d.argmax())
                why[f] = (f"band centres differ from the other images' by up to {d[j]:.1f} nm "
                          f"(band {j}: {other.centers[j]:.1f} vs {bands.centers[j]:.1f} nm)")
    return bands, why


def product_label_names(name: str) -> list[str]:
    """Label raster names that pair with image ``name`` besides its own: an EnMAP product folder's
    name or a product file's stem, with a GeoTIFF suffix (``ENMAP01-...tif``, ``EMIT_L2A_...tif``)."""
    p = Path(name)
    stems = [p.parent.name] if p.parent.name else []
    if p.suffix.lower() in PRODUCT_EXT + IMAGE_EXT:
        stems.append(p.stem)
    return [f"{s}{ext}" for s in stems for ext in (".tif", ".tiff")]


def mask_file(mask_dir: Path, name: str) -> Path:
    """The mask of image ``name``: the same file name in ``mask_dir``, else the same name with
    a GeoTIFF suffix (``scene`` or ``scene.img`` -> ``scene.tif``), else a product's label name
    (:func:`product_label_names`); the same file name when none exists."""
    same = mask_dir / name
    if same.is_file():
        return same
    stem = Path(name).stem if Path(name).suffix.lower() in IMAGE_EXT else name
    for cand in [stem + ".tif", stem + ".tiff", *product_label_names(name)]:
        if (mask_dir / cand).is_file():
            return mask_dir / cand
    return same


def given_bands(root: Path, wavelengths: BandSet | str | Path | None) -> BandSet | None:
    """The band table given (argument, else the folder's ``wavelengths.txt``/``.csv``)."""
    if wavelengths is not None:
        return wavelengths if isinstance(wavelengths, BandSet) else load_bandset(wavelengths)
    table = next((root / n for n in ("wavelengths.txt", "wavelengths.csv")
                  if (root / n).is_file()), None)
    return load_bandset(table) if table is not None else None
