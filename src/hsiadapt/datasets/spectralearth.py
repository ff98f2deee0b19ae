"""SpectralEarth downstream tasks on EnMAP: BNETD, CDL, BDForet (segmentation), CORINE (multi-label).

Dataset card (Braham et al. 2024, SpectralEarth; used by the TerraMind HSI study):

* images: EnMAP L2A 128 x 128 chips, 202 bands (``enmap_spectralearth`` band table: sorted by
  wavelength, water-vapour bands removed), GeoTIFF, digital numbers = reflectance x 10000;
* masks: single-band GeoTIFF of raw product codes on the same grid;
* BNETD: land cover, Cote d'Ivoire, 10 classes; CDL: crop types, USA, 14 classes; BDForet: tree
  species, France, 12 classes; CORINE: multi-label land cover, Europe, 19 (or 43) classes.

Layout (as distributed and as the study reads it)::

    root/
      enmap/<tile_id>/<patch_id>.tif       images
      <bnetd|cdl|bdforet|corine>/<tile_id>/<patch_id>.tif   masks
      splits/enmap_<task>/{train,val,test}.txt   lines "<tile_id>/<patch_id>.tif"

The split folder may also sit beside ``root`` (``root/../splits/enmap_<task>``), where the
study's code looks for it.

Labels: raw codes are remapped to ordinals 0..K-1 in the order of the study's class lists.
Background (code 0) goes to ``ignore_index`` (-1), which losses and metrics skip;
``background="class"`` instead makes background class K, as the study trained and scored it.
Codes that are neither listed nor background stop loading (``unknown_labels="error"``, the
default) unless a policy is chosen: ``"ignore"``, or ``"background"`` (what the study's code
did: every unlisted code went to its background class). See :mod:`hsiadapt.datasets.labels`.
Nodata pixels in the image (the file's nodata value, non-finite) are 0 in ``image``, False in
``valid`` and ``ignore_index`` in ``mask``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from hsiadapt.datasets._splits import (
    check_split,
    check_split_lists,
    check_train_subset,
    other_split_lists,
    train_subset_of,
)
from hsiadapt.datasets.base import (
    DATASETS,
    HSIDataError,
    HSIDataset,
    read_split_file,
)
from hsiadapt.datasets.labels import LabelMap
from hsiadapt.datasets.raster import read_image, read_label_raster
from hsiadapt.hints import check_choice
from hsiadapt.spectral import BandSet
from hsiadapt.spectral.io import load_bandset

__all__ = [
    "CORINE_19_CLASSES",
    "CORINE_43_CODES",
    "EnMAPBDForet",
    "EnMAPBNETD",
    "EnMAPCDL",
    "EnMAPCorine",
    "SpectralEarthSegmentation",
]

_URL = "https://geoai.eu/spectralearth (SpectralEarth downstream tasks; see Braham et al. 2024)"


def _find_split_dir(root: Path, name: str) -> Path:
    for cand in (root / "splits" / name, root.parent / "splits" / name):
        if cand.is_dir():
            return cand
    return root / "splits" / name


class _SpectralEarthBase(HSIDataset):
    mask_dir: str = ""
    split_name: str = ""
    test_scoring = "resized_chips"  # the study's definition (its chips resized to image_size)

    def __init__(
        self,
        root: str | Path,
        split: Literal["train", "val", "test"] = "train",
        *,
        bands: BandSet | str = "enmap_spectralearth",
        split_dir: str | Path | None = None,
        train_subset: int | None = None,
        transforms: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(transforms)
        check_split(split)
        self.root = Path(root)
        self.split = split
        self.train_subset = check_train_subset(train_subset)
        self.bands = bands if isinstance(bands, BandSet) else load_bandset(bands)
        if not (self.root / "enmap").is_dir():
            raise self._not_found(self.root, "image folder 'enmap/'")
        if not (self.root / self.mask_dir).is_dir():
            raise self._not_found(self.root, f"mask folder '{self.mask_dir}/'")
        sdir = Path(split_dir) if split_dir else _find_split_dir(self.root, self.split_name)
        self.split_file = sdir / f"{split}.txt"
        self.ids = read_split_file(self.split_file, type(self).__name__,
                                   inside=(self.root / "enmap", self.root / self.mask_dir))
        check_split_lists(type(self).__name__, split, self.ids, self.split_file,
                          other_split_lists(split, lambda s: _other_list(sdir / f"{s}.txt")))
        self.ids = train_subset_of(self.ids, split, self.train_subset)
        self.source_url = _URL

    def __len__(self) -> int:
        return len(self.ids)

    def image_path(self, index: int) -> Path:
        return self.root / "enmap" / self.ids[index]

    def mask_path(self, index: int) -> Path:
        return self.root / self.mask_dir / self.ids[index]

    def source_files(self) -> list[Path]:
        return [p for i in range(len(self.ids)) for p in (self.image_path(i), self.mask_path(i))]

    def _read(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        image, valid = read_image(self.image_path(index), len(self.bands),
                                  valid_bands=self.bands.valid)
        raw = read_label_raster(self.mask_path(index))
        if raw.shape != image.shape[1:]:
            raise HSIDataError(
                f"{self.mask_path(index)}: mask is {raw.shape} but the image is {image.shape[1:]}"
            )
        return image, valid, raw


def _other_list(path: Path) -> tuple[Path, list[str]] | None:
    """Another split's list (to check that no chip is in two splits), ``None`` if absent."""
    if not path.is_file():
        return None
    return path, [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]


class SpectralEarthSegmentation(_SpectralEarthBase):
    """Semantic segmentation on a SpectralEarth task (see the module docstring).

    Args:
        root: dataset root (layout in the module docstring).
        split: ``"train"``, ``"val"`` or ``"test"``.
        bands: band table the images are written with (default ``enmap_spectralearth``).
        background: ``"ignore"`` (default) or ``"class"`` (the study's scheme, background = K).
        unknown_labels: ``"error"`` (default), ``"ignore"`` or ``"background"`` (the study's
            behaviour: unlisted codes are background).
        clip_negative: set negative reflectances to 0 (what the study's EnMAP-BDForet loader
            did before scaling).
        split_dir: folder holding ``{train,val,test}.txt`` when not in the default place.
        train_subset: use only the first N chips of the training split (a label budget).
        transforms: applied to each sample dict.
    """

    task = "segmentation"
    #: raw product code per class, in ordinal order
    class_codes: tuple[int, ...] = ()
    background_codes: tuple[int, ...] = (0,)

    def __init__(
        self,
        root: str | Path,
        split: Literal["train", "val", "test"] = "train",
        *,
        bands: BandSet | str = "enmap_spectralearth",
        background: Literal["ignore", "class"] = "ignore",
        unknown_labels: Literal["error", "ignore", "background"] = "error",
        clip_negative: bool = False,
        split_dir: str | Path | None = None,
        train_subset: int | None = None,
        transforms: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(root, split, bands=bands, split_dir=split_dir,
                         train_subset=train_subset, transforms=transforms)
        self.label_map = LabelMap.build(self.class_codes, self.background_codes,
                                        background=background, unknown_labels=unknown_labels)
        self.background = background
        self.unknown_labels = unknown_labels
        self.clip_negative = clip_negative
        self.ignore_index = self.label_map.ignore_index
        if background == "class":
            self.classes = (*type(self).classes, "Background")

    def remap(self, raw: np.ndarray, where: str = "mask") -> np.ndarray:
        """Raw product codes -> ordinals (see the class docstring for the policy)."""
        return self.label_map.remap(raw, where)

    def raw_labels(self, index: int) -> np.ndarray:
        """The mask's raw product codes ``(H, W)`` (for auditing, e.g. ``data check``)."""
        return read_label_raster(self.mask_path(index))

    def _load(self, index: int) -> dict[str, Any]:
        image, valid, raw = self._read(index)
        if self.clip_negative:
            image = np.maximum(image, 0.0)
        mask = self.remap(raw, str(self.mask_path(index)))
        mask[~valid] = self.ignore_index
        return {
            "image": torch.from_numpy(image),
            "mask": torch.from_numpy(mask),
            "valid": torch.from_numpy(valid),
        }


@DATASETS.register("enmap_bnetd")
class EnMAPBNETD(SpectralEarthSegmentation):
    """EnMAP-BNETD: land cover over Cote d'Ivoire (BNETD map), 10 classes."""

    mask_dir = "bnetd"
    split_name = "enmap_bnetd"
    class_codes = (1, 2, 3, 6, 9, 10, 13, 15, 16, 21)
    classes = (
        "Dense forest", "Light forest", "Forest gallery", "Forest plantation",
        "Cocoa plantation", "Rubber plantation", "Cashew plantation", "Agricultural area",
        "Tree savannah", "Human habitat",
    )  # fmt: skip


@DATASETS.register("enmap_cdl")
class EnMAPCDL(SpectralEarthSegmentation):
    """EnMAP-CDL: crop types over the USA (USDA Cropland Data Layer), 14 classes."""

    mask_dir = "cdl"
    split_name = "enmap_cdl"
    class_codes = (1, 2, 3, 4, 5, 6, 45, 54, 69, 72, 75, 76, 204, 210)
    classes = (
        "Corn", "Cotton", "Rice", "Sorghum", "Soybeans", "Sunflower", "Sugarcane", "Tomatoes",
        "Grapes", "Citrus", "Almonds", "Walnuts", "Pistachios", "Prunes",
    )  # fmt: skip


@DATASETS.register("enmap_bdforet")
class EnMAPBDForet(SpectralEarthSegmentation):
    """EnMAP-BDForet: tree species over France (IGN BD Foret), 12 classes.

    ``STUDY_CLASS_WEIGHTS`` are the inverse-sqrt-frequency loss weights the study used
    (13 values: the 12 classes then background).
    """

    mask_dir = "bdforet"
    split_name = "enmap_bdforet"
    class_codes = (1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 14, 16)
    classes = (
        "Chestnut", "Deciduous oaks", "Evergreen oaks", "Beech", "Robinia", "Douglas fir",
        "Hooked or Cembro pine", "Other pine", "Aleppo pine", "Corsican/Black pine",
        "Scots pine", "Fir or Spruce",
    )  # fmt: skip
    STUDY_CLASS_WEIGHTS = (1.1652, 0.521, 0.9706, 1.1997, 0.5725, 2.221, 1.1205, 1.1452,
                           0.5706, 0.851, 1.9292, 0.5962, 0.1374)  # fmt: skip


# CORINE Land Cover level-3 codes in the 43-class order, and the standard 43 -> 19 grouping
# (BigEarthNet nomenclature) that the study uses.
CORINE_43_CODES: tuple[int, ...] = (
    111, 112, 121, 122, 123, 124, 131, 132, 133, 141, 142, 211, 212, 213, 221, 222, 223, 231,
    241, 242, 243, 244, 311, 312, 313, 321, 322, 323, 324, 331, 332, 333, 334, 411, 412, 421,
    422, 423, 511, 512, 521, 522, 523,
)  # fmt: skip
_CORINE_43_TO_19: dict[int, int] = {
    0: 0, 1: 0, 2: 1, 11: 2, 12: 2, 13: 2, 14: 3, 15: 3, 16: 3, 18: 3, 17: 4, 19: 5, 20: 6,
    21: 7, 22: 8, 23: 9, 24: 10, 25: 11, 31: 11, 26: 12, 27: 12, 28: 13, 29: 14, 33: 15, 34: 15,
    35: 16, 36: 16, 38: 17, 39: 17, 40: 18, 41: 18, 42: 18,
}  # fmt: skip
CORINE_19_CLASSES: tuple[str, ...] = (
    "Urban fabric", "Industrial or commercial units", "Arable land", "Permanent crops",
    "Pastures", "Complex cultivation patterns",
    "Land principally occupied by agriculture, with significant areas of natural vegetation",
    "Agro-forestry areas", "Broad-leaved forest", "Coniferous forest", "Mixed forest",
    "Natural grassland and sparsely vegetated areas",
    "Moors, heathland and sclerophyllous vegetation", "Transitional woodland, shrub",
    "Beaches, dunes, sands", "Inland wetlands", "Coastal wetlands", "Inland waters",
    "Marine waters",
)  # fmt: skip


@DATASETS.register("enmap_corine")
class EnMAPCorine(_SpectralEarthBase):
    """EnMAP-CORINE: multi-label land cover over Europe; ``label`` is a multi-hot vector.

    The label of a chip is the set of classes present in its CORINE mask (raw level-3 codes),
    in 43 classes or grouped into the standard 19. Codes outside the nomenclature are skipped
    (43-class codes with no 19-class group - roads, ports, airports, dumps, construction, green
    urban, sport, bare rock, burnt areas, salines... - are skipped in the 19-class setting, as in
    the study and BigEarthNet). A chip with no class left raises :class:`HSIDataError` under
    ``empty="error"``; ``empty="keep"`` returns an all-zero label.
    """

    task = "multilabel"
    mask_dir = "corine"
    split_name = "enmap_corine"

    def __init__(
        self,
        root: str | Path,
        split: Literal["train", "val", "test"] = "train",
        *,
        num_classes: Literal[19, 43] = 19,
        bands: BandSet | str = "enmap_spectralearth",
        empty: Literal["error", "keep"] = "keep",
        split_dir: str | Path | None = None,
        transforms: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(root, split, bands=bands, split_dir=split_dir, transforms=transforms)
        check_choice("num_classes", num_classes, Literal[19, 43], "dataset argument")
        self.n_classes = num_classes
        self.empty = empty
        self.classes = CORINE_19_CLASSES if num_classes == 19 else tuple(map(str, CORINE_43_CODES))

    def labels_from_codes(self, codes: Sequence[int]) -> np.ndarray:
        """Multi-hot vector for a set of raw CORINE codes."""
        out = np.zeros(self.n_classes, dtype=np.int64)
        for code in codes:
            if code in CORINE_43_CODES:
                k43 = CORINE_43_CODES.index(int(code))
                k = k43 if self.n_classes == 43 else _CORINE_43_TO_19.get(k43)
                if k is not None:
                    out[k] = 1
        return out

    def _load(self, index: int) -> dict[str, Any]:
        image, valid, raw = self._read(index)
        label = self.labels_from_codes(np.unique(raw[valid]).tolist())
        if label.sum() == 0 and self.empty == "error":
            raise HSIDataError(f"{self.mask_path(index)}: no CORINE class in this chip")
        return {
            "image": torch.from_numpy(image),
            "label": torch.from_numpy(label),
            "valid": torch.from_numpy(valid),
        }
