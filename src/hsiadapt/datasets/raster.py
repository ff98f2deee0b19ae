"""Reading hyperspectral GeoTIFF chips and label rasters with rasterio, with clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hsiadapt.datasets._values import check_plausible
from hsiadapt.datasets.base import SAMPLE_SCALE, HSIDataError

__all__ = ["DATASET_SCALE_FIX", "declared_scale", "mask_dtype", "open_raster", "read_image",
           "read_label_raster", "read_mask", "to_sample_scale"]


#: how to declare a file's scale, in a dataset's terms (``predict`` names its own flag)
DATASET_SCALE_FIX = ("reflectance_scale: 1.0 (dataset_args in a config; --arg "
                     "reflectance_scale=1.0 on the CLI), or the factor that turns the values "
                     "into reflectance")


def _refuse_unscaled_reflectance(path: Path, values: np.ndarray, dtype: np.dtype,
                                 fix: str) -> None:
    """A float file without a scale tag whose values look like reflectance 0-1 would be read
    as DN (x 1e-4): 10000 times too dark, silently. Refuse it, naming the fix."""
    if not np.issubdtype(dtype, np.floating) or values.size == 0:
        return
    sample = values.ravel()[:: max(1, values.size // 200_000)]
    p99 = float(np.percentile(sample, 99))
    if 0 < p99 <= 2.0 and not np.allclose(sample, np.round(sample)):
        raise HSIDataError(
            f"{path}: float values with 99th percentile {p99:.3g} look like reflectance in 0-1, "
            "but the file has no scale tag, so they would be read as reflectance x 10000 (DN) - "
            f"10000 times too small. Say what they are: {fix}")


def declared_scale(path: Path, src) -> float | None:
    """The scale the file declares (GDAL's band scale), or ``None`` when it declares none.

    GDAL reports 1.0 both for "no scale" and for a written scale of 1; a written one is found
    in the GeoTIFF's GDAL metadata tag (``<Item role="scale">``) or a ``.aux.xml`` sidecar
    (``<Scale>``), so an explicit 1.0 (reflectance 0-1) is a declaration, not "no tag"."""
    import xml.etree.ElementTree as ET

    tag = src.scales[0] if src.scales else None
    if tag is not None and tag != 1.0:
        return float(tag)
    texts = []
    aux = Path(f"{path}.aux.xml")
    if aux.is_file():
        texts.append(aux.read_text(errors="replace"))
    if src.driver == "GTiff":
        import tifffile

        with tifffile.TiffFile(path) as tif:
            t = tif.pages.first.tags.get(42112)  # GDAL_METADATA
            texts += [str(t.value)] if t is not None else []
    for text in texts:
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            continue
        found = [e.text for e in root.iter("Item") if e.get("role") == "scale"]
        found += [e.text for e in root.iter("Scale")]
        if found and found[0] is not None:
            return float(found[0])
    return None


def open_raster(path: Path):  # a rasterio dataset
    """``rasterio.open(path)`` with the errors of :func:`read_image` (missing, corrupt)."""
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    if not path.is_file():
        raise HSIDataError(f"{path}: file is missing")
    try:
        with warnings.catch_warnings():  # chips without georeferencing are fine here
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(path)
    except RasterioIOError as err:
        raise HSIDataError(
            f"{path}: cannot be opened as a raster ({err}); the file is corrupt or truncated - "
            "download it again"
        ) from None


def read_image(
    path: Path,
    n_bands: int,
    *,
    reflectance_scale: float | None = None,
    valid_bands: np.ndarray | None = None,
    nodata: float | None = None,
    unscaled_fix: str | None = DATASET_SCALE_FIX,
    window: tuple[int, int, int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read a ``(C, H, W)`` image on the sample scale (reflectance x 10000) and its valid mask.

    Args:
        path: GeoTIFF (or any GDAL raster).
        n_bands: expected band count (the dataset's band table).
        reflectance_scale: file value x scale = reflectance. ``None``: the scale the file
            declares (:func:`declared_scale`; a declared 1.0 is reflectance 0-1), else 1e-4
            (EnMAP L2A / SpectralEarth DN) - except that a float file without a scale whose
            values look like reflectance in 0-1 (non-integer, 99th percentile at most 2) is
            refused rather than read 10000 times too dark.
        valid_bands: good-band flags; bad bands are zeroed and do not affect ``valid``.
        nodata: nodata value; ``None``: the file's nodata value.
        unscaled_fix: the fix that refusal names, in the caller's terms (``None``: read such a
            file as DN without refusing it).
        window: ``(row, col, height, width)``: read only these pixels (a rasterio window; only
            their bytes are read). ``None``: the whole image.

    Returns:
        ``(image float32 (C, H, W), valid bool (H, W))``; nodata and non-finite pixels are 0 in
        ``image`` and False in ``valid``.

    Raises:
        HSIDataError: missing/corrupt file, wrong band count, unreadable pixels, values no
            reflectance product holds (damaged bytes; :mod:`hsiadapt.datasets._values`).
    """
    from rasterio.errors import RasterioIOError

    with open_raster(path) as src:
        if src.count != n_bands:
            raise HSIDataError(
                f"{path}: has {src.count} bands but the dataset's band table has {n_bands}; "
                "this file belongs to another product or band list"
            )
        try:
            raw = src.read(out_dtype="float32",
                           window=None if window is None else _window(*window))
        except RasterioIOError as err:
            raise HSIDataError(f"{path}: pixel data unreadable ({err}); file truncated?") from None
        nd = src.nodata if nodata is None else nodata
        file_dtype = np.dtype(src.dtypes[0])
        tag_scale = declared_scale(path, src) if reflectance_scale is None else None
    return to_sample_scale(path, raw, n_bands, nodata=nd, file_dtype=file_dtype,
                           tag_scale=tag_scale, reflectance_scale=reflectance_scale,
                           valid_bands=valid_bands, unscaled_fix=unscaled_fix)


def _window(row: int, col: int, height: int, width: int):  # a rasterio Window
    from rasterio.windows import Window

    return Window(col, row, width, height)


def to_sample_scale(path: Path, raw: np.ndarray, n_bands: int, *, nodata: float | None,
                    file_dtype: np.dtype, tag_scale: float | None,
                    reflectance_scale: float | None = None,
                    valid_bands: np.ndarray | None = None,
                    unscaled_fix: str | None = DATASET_SCALE_FIX) -> tuple[np.ndarray, np.ndarray]:
    """Raster values ``raw`` (float32 ``(C, H, W)``, the whole file or a window of it) on the
    sample scale with their valid mask, as :func:`read_image` describes (its checks included;
    ``tag_scale``: the scale the file declares, ``None`` for none)."""
    bad = ~np.isfinite(raw)
    if nodata is not None and np.isfinite(nodata):
        bad |= raw == nodata
    vb = np.ones(n_bands, bool) if valid_bands is None else np.asarray(valid_bands, bool)
    valid = ~bad[vb].any(axis=0)
    scale = reflectance_scale
    if scale is None:
        if tag_scale is None and unscaled_fix is not None:
            _refuse_unscaled_reflectance(path, raw[vb][:, valid], file_dtype, unscaled_fix)
        scale = tag_scale if tag_scale is not None else 1e-4
    # one chip-sized array, zeroed in place (a chip is hundreds of MB: `data check` on three
    # 2048 x 2048 x 30 chips peaked at 5.75 GB, partly from temporaries here)
    image = raw * np.float32(scale * SAMPLE_SCALE)
    image[bad] = 0.0
    image[~vb] = 0.0
    check_plausible(path, raw, image, vb, valid, nodata)  # damaged bytes are refused, named
    return image, valid


def read_label_raster(path: Path) -> np.ndarray:
    """Read band 1 of a label raster as int64 ``(H, W)`` (every pixel, nodata included; see
    :func:`read_mask` for the mask with its nodata pixels marked).

    Raises:
        HSIDataError: missing/corrupt file, or non-integer label values.
    """
    return np.ma.getdata(read_mask(path))


def mask_dtype(path: Path) -> str:
    """The data type a label raster is stored in (``"uint8"``...): its maximum is the usual
    nodata value."""
    with open_raster(path) as src:
        return str(src.dtypes[0])


def read_mask(path: Path) -> np.ma.MaskedArray:
    """Read band 1 of a label raster as int64 ``(H, W)``, its nodata pixels masked.

    The file's nodata value (a GeoTIFF ``nodata`` tag, e.g. 255 in uint8 masks; NaN in float
    ones) marks pixels that carry no label: they are masked here, so they are neither scored as
    a class nor reported as an unknown code.

    Raises:
        HSIDataError: missing/corrupt file, or non-integer label values.
    """
    with open_raster(path) as src:
        try:
            a = src.read(1)
        except Exception as err:  # rasterio raises several types for broken files
            raise HSIDataError(f"{path}: label data unreadable ({err})") from None
        nd = src.nodata
    nodata = np.zeros(a.shape, bool)
    if nd is not None:
        nodata = np.isnan(a) if np.isnan(nd) else a == nd
    if np.issubdtype(a.dtype, np.floating):
        keep = a[~nodata]
        if not np.isfinite(keep).all() or (keep != np.round(keep)).any():
            raise HSIDataError(f"{path}: label raster has non-integer values")
        a = np.where(nodata, 0, a)
    return np.ma.MaskedArray(a.astype(np.int64), mask=nodata)
