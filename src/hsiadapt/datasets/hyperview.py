"""HYPERVIEW (AI4EO / KP Labs / ESA): soil parameters from hyperspectral field patches.

HYPERVIEW-1 dataset card: airborne hyperspectral patches of Polish agricultural fields, 150 bands
462-938 nm (``hyperview`` band table), int16 values ~ reflectance x 10000; one patch per field,
from 11 x 11 up to ~300 x 300 pixels, with a field mask; targets P (P2O5), K (K2O), Mg and pH
(1732 training patches, 1154 test patches). Layout::

    root/
      train/<sample_index>.npz   masked arrays: data int16 (150, H, W), mask bool (150, H, W),
      test/<sample_index>.npz    mask True = outside the field
      train_gt.csv               sample_index,P,K,Mg,pH

``train``/``val`` come from the training patches: a seeded random split (``val_fraction``,
``seed``; the study used 20 % and seed 42) or explicit lists (``split_file``: a CSV with a
``sample_index`` column, such as SpectralEarth's HYPERVIEW split). ``test`` is the test folder
(no labels). Targets are in original units (standardisation belongs to the model).

Patch size policy (``size``): ``None`` keeps the native size (batch with :func:`hsiadapt.data.collate.pad_collate`);
``("pad", S)`` zero-pads (or centre-crops) to S x S, the padding marked invalid; ``("resize", S)``
resizes bilinearly, the mask nearest. In every case ``valid`` (the field mask) travels with the
sample, and pixels outside the field are 0 in ``image``.

HYPERVIEW-2 (EASi workshop 2024) has three sensors per sample - airborne HSI, satellite HSI and
satellite MSI - and six targets (B, Cu, Zn, Fe, S, Mn); see :class:`Hyperview2`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from hsiadapt._atomic import atomic_write_text
from hsiadapt.datasets._hyperview_files import (
    SizePolicy,
    _apply_size,
    _read_gt,
    load_hyperview_patch,
)
from hsiadapt.datasets._splits import check_split, check_train_subset, train_subset_of
from hsiadapt.datasets.base import DATASETS, HSIDataError, HSIDataset
from hsiadapt.spectral import BandSet, get_sensor
from hsiadapt.spectral.io import load_bandset

__all__ = ["Hyperview1", "Hyperview2", "load_hyperview_patch", "write_submission"]

_URL = "https://platform.ai4eo.eu/seeing-beyond-the-visible-permanent"


class _HyperviewBase(HSIDataset):
    task = "regression"
    source_url = _URL
    test_scoring = "resized_chips"  # the study's definition (fields resized to image_size)
    gt: dict[int, np.ndarray]
    ids: list[int]

    root: Path
    folder: Path
    size: SizePolicy = None
    target_std_eps: float = 0.0

    def target_statistics(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std (population, plus ``target_std_eps``) of the targets over this split
        (original units); the model's regression targets are standardised with them."""
        y = np.stack([self.gt[i] for i in self.ids])
        return y.mean(axis=0), y.std(axis=0) + self.target_std_eps

    def __len__(self) -> int:
        return len(self.ids)

    def _file(self, sid: int) -> Path:
        return self.folder / f"{sid}.npz"

    def source_files(self) -> list[Path]:
        gt = [p for p in (self.root / "train_gt.csv",) if p.is_file()]
        return [self._file(sid) for sid in self.ids] + gt

    def _load(self, index: int) -> dict[str, Any]:
        sid = self.ids[index]
        image, valid = load_hyperview_patch(self._file(sid), len(self.bands))
        img, val = _apply_size(torch.from_numpy(image), torch.from_numpy(valid), self.size)
        sample: dict[str, Any] = {"image": img, "valid": val, "sample_index": torch.tensor(sid)}
        if sid in self.gt:
            sample["label"] = torch.from_numpy(self.gt[sid].copy())
        return sample

    def _select_train_ids(
        self,
        all_ids: list[int],
        split: str,
        split_file: str | Path | None,
        val_fraction: float,
        seed: int,
        test_fraction: float = 0.0,
    ) -> list[int]:
        if split_file is not None:
            p = Path(split_file)
            with p.open(newline="") as f:
                wanted = [int(r["sample_index"]) for r in csv.DictReader(f)]
            absent = sorted(set(wanted) - set(all_ids))
            if absent:
                raise HSIDataError(f"{p}: sample indices {absent[:10]} have no ground truth")
            return wanted
        if not (0.0 <= val_fraction < 1.0 and 0.0 <= test_fraction < 1.0
                and val_fraction + test_fraction < 1.0):
            raise ValueError(f"val_fraction {val_fraction} and test_fraction {test_fraction} "
                             "must be >= 0 and sum to less than 1")
        rng = np.random.default_rng(seed)
        perm = rng.permutation(len(all_ids))
        n_test = round(test_fraction * len(all_ids))
        n_val = round(val_fraction * len(all_ids))
        parts = {"test": perm[:n_test], "val": perm[n_test:n_test + n_val],
                 "train": perm[n_test + n_val:]}
        return sorted(all_ids[i] for i in parts[split])


@DATASETS.register("hyperview1")
class Hyperview1(_HyperviewBase):
    """HYPERVIEW-1 soil-parameter regression (see the module docstring for the card and layout).

    Args:
        root: dataset root.
        split: ``"train"``, ``"val"`` or ``"test"``.
        size: patch size policy, e.g. ``("resize", 224)`` as in the study, or ``None``.
        val_fraction, seed: seeded train/val split of the training patches.
        test_fraction: when > 0, ``test`` is a seeded hold-out of the *labelled* training
            patches (so test metrics can be computed; the challenge's test folder has no labels)
            and train/val come from the rest.
        split_file: explicit CSV (``sample_index`` column) for this split instead.
        target_std_eps: added to the targets' standard deviation before standardising them
            (the study's datamodule used ``std + 1e-4``).
        transforms: applied to each sample dict.
    """

    targets = ("P", "K", "Mg", "pH")

    def __init__(
        self,
        root: str | Path,
        split: Literal["train", "val", "test"] = "train",
        *,
        size: SizePolicy = None,
        val_fraction: float = 0.2,
        seed: int = 42,
        test_fraction: float = 0.0,
        split_file: str | Path | None = None,
        train_subset: int | None = None,
        target_std_eps: float = 0.0,
        transforms: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(transforms)
        self.root, self.split, self.size = Path(root), split, size
        self.train_subset = check_train_subset(train_subset)
        self.target_std_eps = float(target_std_eps)
        self.bands = get_sensor("hyperview")
        check_split(split)
        if split == "test" and test_fraction == 0.0:
            folder = self.root / "test"
            if not folder.is_dir():
                raise self._not_found(self.root, "folder 'test/'")
            self.ids = sorted(int(p.stem) for p in folder.glob("*.npz"))
            self.gt: dict[int, np.ndarray] = {}
            self.folder = folder
        else:
            folder = self.root / "train"
            if not folder.is_dir():
                raise self._not_found(self.root, "folder 'train/'")
            if not (self.root / "train_gt.csv").is_file():
                raise self._not_found(self.root, "train_gt.csv")
            self.gt = _read_gt(self.root / "train_gt.csv", self.targets)
            have = {int(p.stem) for p in folder.glob("*.npz")}
            labelled = sorted(i for i in self.gt if i in have)
            if not labelled:
                raise self._not_found(self.root, "any train/<sample_index>.npz listed in train_gt.csv")
            self.ids = self._select_train_ids(labelled, split, split_file, val_fraction, seed,
                                              test_fraction)
            self.folder = folder
        self.ids = train_subset_of(self.ids, split, self.train_subset)
        if not self.ids:
            raise self._not_found(self.root, f"patches for split {split!r}")

def write_submission(
    path: str | Path,
    sample_index: Sequence[int],
    predictions: np.ndarray,
    targets: Sequence[str] = ("P", "K", "Mg", "pH"),
) -> Path:
    """Write predictions in the challenge's submission format (``sample_index,P,K,Mg,pH``,
    original units, one row per test patch, sorted by index), atomically.

    Raises:
        ValueError: shape mismatch, duplicate indices or non-finite predictions.
    """
    pred = np.asarray(predictions, dtype=np.float64)
    idx = [int(i) for i in sample_index]
    if pred.shape != (len(idx), len(targets)):
        raise ValueError(f"predictions {pred.shape} do not match ({len(idx)}, {len(targets)})")
    if len(set(idx)) != len(idx):
        raise ValueError("duplicate sample_index in predictions")
    if not np.isfinite(pred).all():
        raise ValueError("predictions contain NaN or inf")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["sample_index", *targets])
    for i, row in sorted(zip(idx, pred.tolist(), strict=True)):
        w.writerow([i, *(f"{v:.6g}" for v in row)])
    atomic_write_text(path, buf.getvalue())
    return Path(path)


@DATASETS.register("hyperview2")
class Hyperview2(_HyperviewBase):
    """HYPERVIEW-2: six soil micronutrients from three sensors of the same field.

    Layout (as the study's code reads it)::

        root/
          train/{hsi_airborne,hsi_satellite,msi_satellite}/<NNNN>.npz   (4-digit sample index)
          test/{hsi_satellite,msi_satellite}/*.npz
          train_gt.csv          sample_index,B,Cu,Zn,Fe,S,Mn
          wavelengths/{hsi_airborne,hsi_satellite}.txt   band centres (nm), one per band

    The public description gives no band tables for the two hyperspectral sensors, so they are
    read from ``wavelengths/<sensor>.txt`` (or ``wavelengths=``); a missing table is an error,
    never a guess. ``msi_satellite`` is Sentinel-2 L2A (12 bands).
    """

    targets = ("B", "Cu", "Zn", "Fe", "S", "Mn")
    SENSORS = ("hsi_airborne", "hsi_satellite", "msi_satellite")

    def __init__(
        self,
        root: str | Path,
        split: Literal["train", "val", "test"] = "train",
        *,
        sensor: Literal["hsi_airborne", "hsi_satellite", "msi_satellite"] = "hsi_satellite",
        wavelengths: BandSet | str | Path | None = None,
        size: SizePolicy = None,
        val_fraction: float = 0.2,
        seed: int = 42,
        split_file: str | Path | None = None,
        transforms: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(transforms)
        if sensor not in self.SENSORS:
            raise ValueError(f"sensor must be one of {self.SENSORS}, got {sensor!r}")
        self.root, self.split, self.size, self.sensor = Path(root), split, size, sensor
        if wavelengths is not None:
            self.bands = wavelengths if isinstance(wavelengths, BandSet) else load_bandset(
                wavelengths)
        elif sensor == "msi_satellite":
            self.bands = get_sensor("sentinel2_l2a")
        else:
            table = self.root / "wavelengths" / f"{sensor}.txt"
            if not table.is_file():
                raise HSIDataError(
                    f"Hyperview2: no band table for {sensor!r}: put its band centres (nm) in "
                    f"{table}, or give a band table ('wavelengths: FILE' in the task's "
                    "dataset_args; --arg wavelengths=FILE on the command line)"
                )
            self.bands = load_bandset(table)
        if split == "test":
            if sensor == "hsi_airborne":
                raise ValueError("HYPERVIEW-2 has no airborne data in the test split")
            self.folder = self.root / "test" / sensor
            if not self.folder.is_dir():
                raise self._not_found(self.root, f"folder 'test/{sensor}/'")
            self.ids = sorted(int(p.stem.split("_")[-1]) for p in self.folder.glob("*.npz"))
            self._names = {int(p.stem.split("_")[-1]): p.name for p in self.folder.glob("*.npz")}
            self.gt: dict[int, np.ndarray] = {}
        else:
            self.folder = self.root / "train" / sensor
            if not self.folder.is_dir():
                raise self._not_found(self.root, f"folder 'train/{sensor}/'")
            self.gt = _read_gt(self.root / "train_gt.csv", self.targets)
            self._names = {i: f"{i:04d}.npz" for i in self.gt}
            labelled = sorted(i for i in self.gt if (self.folder / self._names[i]).is_file())
            if not labelled:
                raise self._not_found(self.root, f"train/{sensor}/NNNN.npz listed in train_gt.csv")
            self.ids = self._select_train_ids(labelled, split, split_file, val_fraction, seed)

    def _file(self, sid: int) -> Path:
        return self.folder / self._names[sid]
