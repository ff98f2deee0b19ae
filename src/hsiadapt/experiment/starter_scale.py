"""What ``hsiadapt init`` says about a folder's values: their reflectance scale and nodata
value, from a sample of the first images (through ``data check``'s scale inference)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from hsiadapt.data.check import infer_scale
from hsiadapt.datasets.folder import HSIFolder
from hsiadapt.datasets.raster import declared_scale

__all__ = ["describe_scale"]


def _raw_values(ds: HSIFolder, n: int = 8) -> tuple[np.ndarray, float | None, float | None, str,
                                                     int]:
    """Valid raw values of up to ``n`` images, nodata, declared scale (or ``None``), dtype,
    chip size."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    vals: list[np.ndarray] = []
    nodata, tag, dtype, size = None, None, "float32", 0
    for f in ds.files[:n]:
        if f in getattr(ds, "grids", {}):  # a product: reflectance, its own scale applied
            vals.append(_product_values(ds.image_dir / f, ds.bands.valid))
            size = max(size, *ds.grids[f].shape)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(ds.image_dir / f) as src:
                a = src.read(out_dtype="float64")
                nodata, dtype = src.nodata, src.dtypes[0]
                tag = declared_scale(ds.image_dir / f, src)
                size = max(size, src.height, src.width)
        good = np.isfinite(a)
        if nodata is not None:
            good &= a != nodata
        good[~ds.bands.valid] = False
        v = a[good]
        vals.append(v[:: max(1, v.size // 50_000)])
    return np.concatenate(vals) if vals else np.zeros(0), nodata, tag, dtype, size


def describe_scale(s: Any, ds: HSIFolder) -> None:
    """Fill ``s`` (a :class:`~hsiadapt.experiment.starter.FolderSummary`) with the images'
    reflectance scale and nodata value, through data check's inference."""
    raw, nodata, tag, dtype, s.chip_px = _raw_values(ds)
    if raw.size:
        p99 = float(np.percentile(raw, 99))
        if getattr(ds, "grids", None) and len(ds.grids) == len(ds.files):
            s.reflectance_scale, scale = None, 1e-4
            how = "the products' own scale factors (applied when read)"
            raw = raw * 10_000
        elif tag is not None:
            s.reflectance_scale = None
            how = f"the files' scale tag ({tag:g})"
            scale = tag
        elif np.issubdtype(np.dtype(dtype), np.floating) and 0 < p99 <= 2.0:
            s.reflectance_scale, scale = 1.0, 1.0
            how = f"float values up to ~1 (99th percentile {p99:.3g}): reflectance 0-1"
        else:
            s.reflectance_scale, scale = None, 1e-4
            how = "no scale tag: the loaders' default, value x 0.0001 = reflectance"
        loaded = raw * scale * 10_000
        desc, problem = infer_scale(float(np.median(loaded)), float(np.percentile(loaded, 99)))
        s.scale_note = f"scale: {how}; values as loaded -> {desc}"
        if problem:
            s.notes.append("scale problem: " + problem)
    s.nodata_note = (f"nodata: {nodata:g} (the files' nodata value; those pixels are ignored)"
                     if nodata is not None else "nodata: the files declare none; non-finite "
                     "values are treated as nodata")


def _product_values(path: Path, good: np.ndarray) -> np.ndarray:
    """Up to 50,000 valid reflectance values (0-1) of a product's first 64 rows."""
    from hsiadapt.spectral.products import open_product

    prod = open_product(path)
    a = prod.read(0, min(prod.height, 64))[good]
    return a[np.isfinite(a)][:: max(1, a.size // 50_000)]
