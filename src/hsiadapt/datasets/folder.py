"""Any hyperspectral folder: how a user brings PRISMA, EMIT, DESIS or their own EnMAP scenes.

Layout (names configurable)::

    root/
      images/*.tif | *.tiff | *.img/*.dat + .hdr   HSI chips (any GDAL raster), or products
                                                   (EnMAP or DESIS folders, EMIT .nc, PRISMA .he5)
      masks/ or labels/<same file name>            optional per-pixel class rasters
      labels.csv                                   optional per-image targets: file,<t1>,<t2>,...
      wavelengths.{txt,csv}                        optional band table (else read from the images)
      splits/{train,val,test}.txt                  optional split lists (file names)
      {train,validation,test}_files.csv            optional split CSVs with an 'image' column

Images are GDAL rasters (``.tif``...) or ENVI binaries named any of the ways distributions name
them: ``scene`` + ``scene.hdr`` (no extension), ``scene.img`` + ``scene.hdr`` or
``scene.img.hdr`` (the pair is found from either file, see
:func:`~hsiadapt.spectral.envi.resolve_envi_pair`). Split lists may name either file of a pair.

Wavelengths come from, in order: ``wavelengths=`` (a BandSet, sensor name or file), a
``wavelengths.txt``/``.csv`` in ``root``, the images' own metadata (GDAL per-band
``wavelength`` tags, ENVI header). Every image's band table is read: the table most images agree
on is the dataset's, and images that differ (another band count, other centres, no metadata) are
left out and listed in ``odd_files`` (``data check`` reports them as problems), so one stray file
neither decides the band table nor stops the others.

Mission products as downloaded are images too (:func:`~._folder_files.list_images`), read with
their own band table and scale factors; their label rasters (the image's name, the product
folder's or file's stem + ``.tif``) may be on another grid: they are reprojected onto the
product's grid (nearest neighbour, :mod:`._label_warp`) and ``assumptions`` says so.

Splits come from split lists when present, otherwise from a seeded random split
(``split_fractions``, ``seed``).

Classes (segmentation): ``class_codes`` lists the raw codes in ordinal order (default: every code
found in the masks except ``background_codes``, scanned once). Nothing is background unless
``background_codes`` says so (a 0-based mask's 0 is a class); background goes to
``ignore_index`` (-1), and codes that are neither follow ``unknown_labels`` (default: stop with
the codes; see :mod:`hsiadapt.datasets.labels`). A mask's own nodata value (GeoTIFF ``nodata``
tag, e.g. 255) marks unlabelled pixels: they are ignored, never a class nor an unknown code.
``data check`` prints what was assumed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from hsiadapt.datasets._chips import ChipSize, folder_chips, needs_chips, resolve_chip_size
from hsiadapt.datasets._folder_files import (
    IMAGE_EXT,
    cached_majority,
    given_bands,
    list_images,
    mask_file,
)
from hsiadapt.datasets._grid import check_mask_grids
from hsiadapt.datasets._label_warp import grid_note, labels_on_grid, product_grid
from hsiadapt.datasets._splits import (
    check_split_lists,
    has_split_lists,
    listed_files,
    other_split_lists,
    seeded_split,
)
from hsiadapt.datasets.base import (
    DATASETS,
    HSIDataError,
    HSIDataset,
    read_label_table,
)
from hsiadapt.datasets.labels import LabelMap
from hsiadapt.datasets.product import is_product, read_product_image
from hsiadapt.datasets.raster import mask_dtype, read_image, read_mask
from hsiadapt.spectral import BandSet, SpectralError
from hsiadapt.spectral.envi import resolve_envi_pair

__all__ = ["HSIFolder"]


@DATASETS.register("hsi_folder")
class HSIFolder(HSIDataset):
    """A folder of hyperspectral images with masks or a label table (see the module docstring).

    Args:
        root: the folder.
        split: ``"train"``, ``"val"``, ``"test"`` or ``"all"``.
        wavelengths: band table override (BandSet, sensor name, or file).
        image_dir: image sub-folder (default ``images``).
        mask_dir: mask sub-folder (default: ``masks`` or ``labels``, whichever exists).
        labels_csv: per-image target table (regression) instead of masks.
        class_codes, class_names, background_codes: segmentation classes.
        reflectance_scale: file value x scale = reflectance (``None``: the file's scale tag,
            else 1e-4).
        split_fractions, seed: the seeded split when there are no split lists (of chips'
            blocks when images are chipped).
        chip_size: samples are windows of this many px of each image (:mod:`._chips`);
            ``"auto"``: products and rasters over 512 px in 128 px chips; ``None``: whole images.
        transforms: applied to each sample dict.
    """

    def __init__(
        self,
        root: str | Path,
        split: Literal["train", "val", "test", "all"] = "train",
        *,
        wavelengths: BandSet | str | Path | None = None,
        image_dir: str = "images",
        mask_dir: str | None = None,
        labels_csv: str | None = None,
        class_codes: Sequence[int] | None = None,
        class_names: Sequence[str] | None = None,
        background_codes: Sequence[int] = (),
        unknown_labels: Literal["error", "ignore", "background"] = "error",
        reflectance_scale: float | None = None,
        split_fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
        seed: int = 0,
        chip_size: ChipSize = "auto",
        transforms: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(transforms)
        self.root = Path(root)
        self.split = split
        self.reflectance_scale = reflectance_scale
        self.image_dir = self.root / image_dir
        if not self.image_dir.is_dir():
            raise self._not_found(self.root, f"image folder '{image_dir}/'")
        all_images = list_images(self.image_dir)
        if not all_images:
            raise self._not_found(self.root, f"images ({', '.join(IMAGE_EXT)}) in '{image_dir}/'")

        # -- labels ------------------------------------------------------------------------
        self.mask_dir: Path | None = None
        self.labels: dict[str, np.ndarray] = {}
        if labels_csv is not None:
            self.task = "regression"
            if not (self.root / labels_csv).is_file():
                raise self._not_found(self.root, f"label table '{labels_csv}'")
            self.targets, self.labels = read_label_table(self.root / labels_csv)
        else:
            cands = [mask_dir] if mask_dir else ["masks", "labels"]
            for c in cands:
                if c and (self.root / c).is_dir():
                    self.mask_dir = self.root / c
                    break
            if mask_dir and self.mask_dir is None:
                raise self._not_found(self.root, f"mask folder '{mask_dir}/'")
            self.task = "segmentation" if self.mask_dir is not None else "unlabelled"

        # -- bands (the table most images agree on; the others are left out and listed) -------
        self.bands, self.odd_files = cached_majority(self.image_dir, all_images,
                                                     given_bands(self.root, wavelengths))
        self.assumptions: list[str] = []
        if self.odd_files:
            self.assumptions.append(
                f"band table: the one {len(all_images) - len(self.odd_files)} of "
                f"{len(all_images)} images share ({len(self.bands)} bands); left out: "
                + "; ".join(f"{f} ({w})" for f, w in self.odd_files.items()))

        # -- split (chips' blocks are split after the classes are known) ----------------------
        self.chip_size = resolve_chip_size(chip_size, self.task)
        by_blocks = self._by_blocks(all_images, split, chip_size)
        self.files = [f for f in self._split_files(all_images, "all" if by_blocks else split,
                                                   split_fractions, seed)
                      if f not in self.odd_files]
        if not self.files:
            raise self._not_found(self.root, f"images with the common band table for split "
                                  f"{split!r}")

        self._check_grids()

        # -- classes -----------------------------------------------------------------------
        self.ignore_index = -1
        self.background_codes = tuple(int(c) for c in background_codes)
        if self.task == "segmentation":
            self._set_classes(class_codes, class_names, unknown_labels)
        self.chips = None if self.chip_size is None else folder_chips(
            self, chip_size != "auto", (split, split_fractions, seed) if by_blocks else None)
        if self.chips is not None:
            self.files = [f for f in self.files if f in {c.file for c in self.chips}]

    def _check_grids(self) -> None:
        """Products' grids (their labels are reprojected); other masks must match their image."""
        self.grids = {f: product_grid(self.image_dir / f) for f in self.files
                      if is_product(self.image_dir / f)}
        if self.mask_dir is not None:  # a mask of other ground would train without a word
            check_mask_grids((self.image_dir / f, self.mask_path(f)) for f in self.files
                             if f not in self.grids)
            self.assumptions += [n for f, g in self.grids.items() if (n := grid_note(
                g, self.mask_path(f), self.image_dir / f)) is not None]

    def _by_blocks(self, all_images: list[str], split: str, chip_size: ChipSize) -> bool:
        """Whether this split is a share of all images' chips (chips and no split lists)."""
        return not (self.chip_size is None or split == "all" or has_split_lists(self.root)) and (
            chip_size != "auto" or needs_chips(self.image_dir, [
                f for f in all_images if f not in self.odd_files], self.chip_size))

    # -- construction helpers ------------------------------------------------------------------
    def _set_classes(self, class_codes: Sequence[int] | None,
                     class_names: Sequence[str] | None, unknown_labels: str) -> None:
        """A segmentation folder's classes: the codes given (or every code in the masks), their
        names, and the label map from mask codes to class ordinals."""
        class_codes_given = class_codes is not None
        self.scanned_codes = not class_codes_given  # no code was declared a class
        if class_codes is None:
            class_codes = self._scan_codes()
        self.class_codes = tuple(int(c) for c in class_codes)
        if class_names is not None and len(class_names) != len(self.class_codes):
            raise ValueError(
                f"{len(class_names)} class names for {len(self.class_codes)} class codes "
                f"{list(self.class_codes)}"
                + ("" if class_codes_given else
                   " (the codes found in the masks; if one of them means 'unlabelled', "
                   "declare it in background_codes)"))
        self.classes = tuple(class_names or (f"class_{c}" for c in self.class_codes))
        self.label_map = LabelMap.build(self.class_codes, self.background_codes,
                                        unknown_labels=unknown_labels)
        self.assumptions += (
            [] if class_codes_given else
            [f"classes: every mask code found ({list(self.class_codes)})"
             + (f" except background {list(self.background_codes)}"
                if self.background_codes else "; no code is background (set "
                "background_codes if one means 'unlabelled')")])

    def _listed(self, split: str) -> tuple[Path, list[str]] | None:
        """A split's list file and the data file names it lists (``None``: no list)."""
        return listed_files(self.root, self.image_dir, split, self._data_name)

    def _split_files(self, all_images: list[str], split: str, fractions, seed: int) -> list[str]:
        listed = self._listed(split) if split != "all" else None
        if split == "all":
            files = all_images
        elif listed is not None:
            files = listed[1]
            check_split_lists("HSIFolder", split, files, listed[0],
                              other_split_lists(split, self._listed))
        elif has_split_lists(self.root):
            raise self._not_found(self.root, f"split list for {split!r}")
        else:
            files = seeded_split(all_images, split, fractions, seed)
        files = [self._data_name(f) for f in files]  # (listed ones already are)
        missing = [f for f in files if not (self.image_dir / f).is_file()]
        if missing:
            raise HSIDataError(f"HSIFolder: split {split!r} lists missing images {missing[:5]}")
        if self.labels:
            unlabelled = [f for f in files if f not in self.labels]
            if unlabelled:
                raise HSIDataError(f"HSIFolder: no label row for {unlabelled[:5]}")
        if not files:
            raise self._not_found(self.root, f"images for split {split!r}")
        return files

    def _data_name(self, name: str) -> str:
        """A split list's entry: an ENVI header's name becomes its data file's."""
        p = self.image_dir / name
        if name.lower().endswith(".hdr") and p.is_file():
            try:
                return resolve_envi_pair(p)[0].name
            except SpectralError as err:
                raise HSIDataError(f"HSIFolder: {err}") from None
        return name

    def mask_path(self, name: str) -> Path:
        """The mask of image ``name`` (:func:`~._folder_files.mask_file`)."""
        assert self.mask_dir is not None
        return mask_file(self.mask_dir, name)

    def _scan_codes(self) -> list[int]:
        assert self.mask_dir is not None
        codes: set[int] = set()
        for f in list_images(self.mask_dir):
            codes.update(np.unique(read_mask(self.mask_dir / f).compressed()).tolist())
        return sorted(c for c in codes if c not in self.background_codes)

    def target_statistics(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std of the per-image targets over this split (regression)."""
        y = np.stack([self.labels[f] for f in self.files])
        return y.mean(axis=0), y.std(axis=0)

    # -- samples -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.files) if self.chips is None else len(self.chips)

    def sample_name(self, index: int) -> str:
        """The image (``file@row,col`` for a chip) sample ``index`` comes from."""
        return self.files[index] if self.chips is None else self.chips[index].name

    def _window(self, index: int) -> tuple[str, tuple[int, int, int, int] | None]:
        c = None if self.chips is None else self.chips[index]
        return (self.files[index], None) if c is None else (c.file, c.window)

    def remap(self, raw: np.ndarray, where: str = "mask") -> np.ndarray:
        return self.label_map.remap(raw, where)

    def source_files(self) -> list[Path]:
        files = [self.image_dir / f for f in self.files]
        if self.mask_dir is not None:
            files += [self.mask_path(f) for f in self.files]
        return files

    def raw_labels(self, index: int) -> np.ndarray:
        """The mask's raw codes ``(H, W)``, its nodata pixels masked (for auditing, e.g.
        ``data check``)."""
        name, win = self._window(index)
        r, c, h, w = win or (0, 0, None, None)
        return self.file_labels(name)[r:r + h if h else None, c:c + w if w else None].copy()

    @functools.lru_cache(maxsize=1)  # noqa: B019 - a product's chips in a row: labels read once
    def file_labels(self, name: str) -> np.ma.MaskedArray:
        """The raw codes ``(H, W)`` of image ``name``'s whole mask, on its grid."""
        assert self.mask_dir is not None
        if name in self.grids:
            return labels_on_grid(self.mask_path(name), self.grids[name], self.image_dir / name)
        return read_mask(self.mask_path(name))

    def mask_dtype(self) -> str:
        """The masks' file data type (of the first image's mask)."""
        return mask_dtype(self.mask_path(self.files[0]))

    def _load(self, index: int) -> dict[str, Any]:
        name, win = self._window(index)
        if name in self.grids:  # a product: its own scale factors and grid
            image, valid, _georef = read_product_image(self.image_dir / name, len(self.bands),
                                                       valid_bands=self.bands.valid, window=win)
        else:
            image, valid = read_image(self.image_dir / name, len(self.bands),
                                      reflectance_scale=self.reflectance_scale,
                                      valid_bands=self.bands.valid, window=win)
        sample: dict[str, Any] = {"image": torch.from_numpy(image),
                                  "valid": torch.from_numpy(valid)}
        if self.task == "segmentation":
            assert self.mask_dir is not None
            mpath = self.mask_path(name)
            raw = self.raw_labels(index)  # nodata (a nodata tag) and uncovered: ignored
            if raw.shape != image.shape[1:]:
                raise HSIDataError(f"{mpath}: mask {raw.shape} vs image {image.shape[1:]}")
            mask = self.remap(raw, str(mpath))
            mask[~valid] = self.ignore_index
            sample["mask"] = torch.from_numpy(mask)
        elif self.task == "regression":
            sample["label"] = torch.from_numpy(self.labels[name].copy())
        return sample
