"""Fixed-size chips of a folder's large images and mission products (for :class:`HSIFolder`).

A mission product (EnMAP's 1,000 x 1,000 px, EMIT's 1,242 x 1,242) or a large image is not one
training sample: it is cut into square chips of ``chip_size`` px (the last row and column of
chips are smaller where the image ends), and each sample is one chip, read through a window
(a rasterio window for rasters, a strip of rows for products,
:class:`~hsiadapt.spectral.products.ProductWindows`), so a product larger than memory trains.

Splits stay spatially disjoint: with split lists, every chip of a listed image goes to that
image's split; without them, whole chips are split as the classic scenes' blocks are
(:func:`~hsiadapt.datasets.classic.blocks.assign_blocks`: every class into train, test and val
first, then by share of labelled pixels), never pixels. In a segmentation folder chips without
a labelled pixel are left out.

``chip_size="auto"`` (the default) chips every product, and rasters with a side over
:data:`LARGE_IMAGE_PX`, at :data:`DEFAULT_CHIP_PX`; when that leaves every image whole (small
chips as most folders hold), nothing changes: one sample per image, split by image.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = ["DEFAULT_CHIP_PX", "LARGE_IMAGE_PX", "Chip", "ChipSize", "chip_windows", "folder_chips",
           "needs_chips", "plan_chips", "resolve_chip_size"]

#: chip side (px) when ``chip_size="auto"``
DEFAULT_CHIP_PX = 128
#: with ``chip_size="auto"``, rasters (not products) are chipped when a side exceeds this (px)
LARGE_IMAGE_PX = 512

ChipSize = int | Literal["auto"] | None


@dataclass(frozen=True)
class Chip:
    """One sample: the window ``(row, col, height, width)`` (px) of image ``file``."""

    file: str
    row: int
    col: int
    height: int
    width: int

    @property
    def window(self) -> tuple[int, int, int, int]:
        return self.row, self.col, self.height, self.width

    @property
    def name(self) -> str:
        """``file@row,col`` (what ``data check`` and split reports call the sample)."""
        return f"{self.file}@{self.row},{self.col}"


def chip_windows(file: str, height: int, width: int, size: int) -> list[Chip]:
    """The non-overlapping ``size`` px chips covering a ``height`` x ``width`` image."""
    return [Chip(file, r, c, min(size, height - r), min(size, width - c))
            for r in range(0, height, size) for c in range(0, width, size)]


def resolve_chip_size(chip_size: ChipSize, task: str) -> int | None:
    """The chip side in px (``None``: whole images).

    Raises:
        ValueError: a size below 8 px, or chips asked of per-image targets (``labels_csv``).
    """
    if chip_size is None or chip_size == 0:
        return None
    if chip_size == "auto":
        return None if task == "regression" else DEFAULT_CHIP_PX
    if isinstance(chip_size, bool) or not isinstance(chip_size, int) or chip_size < 8:
        raise ValueError(f"chip_size must be an integer of at least 8 px, 'auto' or null (whole "
                         f"images), got {chip_size!r}")
    if task == "regression":
        raise ValueError("chip_size: a label table (labels_csv) gives one target per image, so "
                         "its images cannot be cut into chips; set chip_size: null")
    return chip_size


def plan_chips(
    shapes: dict[str, tuple[int, int]],
    products: set[str],
    size: int,
    *,
    explicit: bool,
    counts: Callable[[Chip], np.ndarray],
    assign: Callable[[dict[tuple[int, ...], np.ndarray]], set[tuple[int, ...]]] | None,
) -> list[Chip] | None:
    """The chips of the images ``shapes`` (file -> (rows, cols)); ``None`` when ``size`` came
    from ``"auto"`` (not ``explicit``) and it leaves every image whole.

    Args:
        products: the files that are mission products (always chipped).
        counts: a chip's labelled pixels per class (all zero: the chip is left out).
        assign: the keys of this split's chips among the labelled chips' counts (by
            ``assign_blocks``); ``None`` keeps every chip (split lists or ``"all"``). Keys are
            ``(image index, row, col)``.
    """
    files = list(shapes)
    chips = [ch for f in files for ch in chip_windows(f, *shapes[f], size)
             if explicit or f in products or max(shapes[f]) > LARGE_IMAGE_PX]
    chipped = {ch.file for ch in chips}
    if not explicit and all(sum(ch.file == f for ch in chips) <= 1 for f in chipped):
        return None
    chips += [Chip(f, 0, 0, *shapes[f]) for f in files if f not in chipped]
    pos = {f: i for i, f in enumerate(files)}
    per_chip: dict[tuple[int, ...], tuple[Chip, np.ndarray]] = {
        (pos[ch.file], ch.row, ch.col): (ch, counts(ch)) for ch in chips}
    kept = {k: v for k, v in per_chip.items() if v[1].sum() > 0}
    if assign is None:
        return [kept[k][0] for k in sorted(kept)]
    return [kept[k][0] for k in sorted(assign({k: v[1] for k, v in kept.items()}))]


def _image_shape(path: Path) -> tuple[int, int]:
    from hsiadapt.datasets.raster import open_raster

    with open_raster(path) as src:
        return src.height, src.width


def needs_chips(image_dir: Path, files: list[str], size: int) -> bool:
    """Whether ``"auto"`` chips any of ``files``: a product with a side over ``size`` px, or a
    raster with one over :data:`LARGE_IMAGE_PX` (headers only)."""
    from hsiadapt.datasets._label_warp import product_grid
    from hsiadapt.datasets.product import is_product

    return any(max(product_grid(image_dir / f).shape) > size if is_product(image_dir / f)
               else max(_image_shape(image_dir / f)) > LARGE_IMAGE_PX for f in files)


def folder_chips(ds: Any, explicit: bool,
                 block_split: tuple[str, tuple[float, float, float], int] | None
                 ) -> list[Chip] | None:
    """The chips of an :class:`~hsiadapt.datasets.folder.HSIFolder` ``ds``'s images (``ds.files``);
    ``block_split`` ``(split, fractions, seed)``: only that split's share of the chips' blocks.

    Raises:
        HSIDataError: too few labelled chips for a block split, or none for this split.
    """
    from hsiadapt.datasets.base import HSIDataError
    from hsiadapt.datasets.classic.blocks import assign_blocks

    size: int = ds.chip_size
    shapes = {f: ds.grids[f].shape if f in ds.grids else _image_shape(ds.image_dir / f)
              for f in ds.files}
    labels: dict[str, np.ndarray] = {}

    def counts(ch: Chip) -> np.ndarray:
        if ds.task != "segmentation":
            return np.array([ch.height * ch.width])
        if ch.file not in labels:  # class ordinal + 1 per pixel, 0: not a class
            raw = ds.file_labels(ch.file)
            codes, data = np.asarray(ds.class_codes), np.ma.getdata(raw)
            order = np.argsort(codes)
            hit = np.isin(data, codes) & ~np.ma.getmaskarray(raw)
            pos = order[np.clip(np.searchsorted(codes[order], data), 0, codes.size - 1)]
            labels[ch.file] = np.where(hit, pos + 1, 0)
        part = labels[ch.file][ch.row:ch.row + ch.height, ch.col:ch.col + ch.width]
        return np.bincount(part.ravel(), minlength=len(ds.class_codes) + 1)[1:]

    def assign(per: dict[tuple[int, ...], np.ndarray]) -> set[tuple[int, ...]]:
        assert block_split is not None
        split, fractions, seed = block_split
        try:
            got = assign_blocks(per, size, fractions=fractions, seed=seed)
        except ValueError as err:
            raise HSIDataError(f"HSIFolder: chips of {ds.chip_size} px: {err}; set a smaller "
                               "chip_size, or give split lists (splits/*.txt)") from None
        return {k for k, s in got.blocks.items() if s == split}

    chips = plan_chips(shapes, set(ds.grids), size, explicit=explicit, counts=counts,
                       assign=None if block_split is None else assign)
    if chips == []:
        where = f"split {block_split[0]!r}" if block_split else "these images"
        raise HSIDataError(f"HSIFolder: no chip of {size} px with a labelled pixel for {where}; "
                           "check split_fractions (each split needs a share > 0) and the labels")
    return chips
