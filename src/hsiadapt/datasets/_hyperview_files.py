"""HYPERVIEW's files: one field patch (a masked ``.npz`` array), the ground-truth CSV, and
the size policy that brings a field's irregular patch to a fixed chip."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from hsiadapt.datasets.base import HSIDataError, finite_targets

__all__ = ["SizePolicy", "load_hyperview_patch"]

SizePolicy = tuple[Literal["pad", "resize"], int] | None


def load_hyperview_patch(path: Path, n_bands: int) -> tuple[np.ndarray, np.ndarray]:
    """Read one HYPERVIEW ``.npz`` masked array.

    Returns:
        ``(image float32 (C, H, W) on the x10000 scale with 0 outside the field, valid (H, W))``.

    Raises:
        HSIDataError: missing/corrupt file, wrong keys or band count, empty field mask.
    """
    if not path.is_file():
        raise HSIDataError(f"{path}: file is missing")
    try:
        with np.load(path) as z:
            if "data" not in z.files or "mask" not in z.files:
                raise HSIDataError(f"{path}: expected arrays 'data' and 'mask', found {z.files}")
            data, mask = z["data"], z["mask"]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise HSIDataError(f"{path}: not a readable .npz ({err}); download it again") from None
    if data.ndim != 3 or data.shape[0] != n_bands:
        raise HSIDataError(f"{path}: data has shape {data.shape}, expected ({n_bands}, H, W)")
    if mask.shape != data.shape:
        raise HSIDataError(f"{path}: mask shape {mask.shape} differs from data {data.shape}")
    valid = ~mask.any(axis=0)
    if not valid.any():
        raise HSIDataError(
            f"{path}: the field mask is empty (every pixel is flagged invalid); this patch has no "
            "data - remove it from the split"
        )
    image = np.where(mask, 0, data).astype(np.float32)
    bad = ~np.isfinite(image)
    if bad.any():
        raise HSIDataError(
            f"{path}: {int(bad.sum())} NaN or infinite value(s) inside the field (where the mask "
            "is False), first at band, row, column "
            f"{tuple(int(i[0]) for i in np.nonzero(bad))}; flag those pixels in the file's mask "
            "or remove the patch from the split")
    return image, valid


def _apply_size(image: torch.Tensor, valid: torch.Tensor, size: SizePolicy):
    if size is None:
        return image, valid
    how, s = size
    c, h, w = image.shape
    if how == "resize":
        img = F.interpolate(image[None], size=(s, s), mode="bilinear", align_corners=False)[0]
        val = F.interpolate(valid[None, None].float(), size=(s, s), mode="nearest")[0, 0] > 0.5
        return img * val, val
    if how == "pad":
        out = image.new_zeros((c, s, s))
        vout = torch.zeros((s, s), dtype=torch.bool)
        hh, ww = min(h, s), min(w, s)
        y0, x0 = (h - hh) // 2, (w - ww) // 2  # centre-crop when larger
        oy, ox = (s - hh) // 2, (s - ww) // 2
        out[:, oy : oy + hh, ox : ox + ww] = image[:, y0 : y0 + hh, x0 : x0 + ww]
        vout[oy : oy + hh, ox : ox + ww] = valid[y0 : y0 + hh, x0 : x0 + ww]
        return out, vout
    raise ValueError(f"size policy must be None, ('pad', S) or ('resize', S); got {size!r}")


def _read_gt(path: Path, targets: Sequence[str]) -> dict[int, np.ndarray]:
    if not path.is_file():
        raise HSIDataError(f"ground-truth file {path} is missing")
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise HSIDataError(f"{path}: no rows")
    missing = [t for t in ("sample_index", *targets) if t not in rows[0]]
    if missing:
        raise HSIDataError(f"{path}: missing column(s) {missing}; columns are {list(rows[0])}")
    out = {}
    for n, r in enumerate(rows, 2):  # line 1 is the header
        try:
            y = np.array([float(r[t] or "nan") for t in targets], np.float32)
            out[int(r["sample_index"])] = finite_targets(
                path, n, f"sample_index {r['sample_index']}", y, targets)
        except ValueError as err:
            if isinstance(err, HSIDataError):
                raise
            raise HSIDataError(f"{path}: bad value in row {r} ({err})") from None
    return out
