"""The dataset contract shared by every hsiadapt dataset.

A sample is a dict:

* ``image``: float32 tensor ``(C, H, W)`` on the **S2L2A scale, reflectance x 10000** (the scale
  TerraMind's pretraining statistics use); nodata pixels are 0;
* ``mask`` (segmentation, int64 ``(H, W)``, ``ignore_index`` where unlabelled or nodata) or
  ``label`` (regression targets float32 ``(T,)``, or multi-hot int64 ``(K,)``);
* ``valid``: bool ``(H, W)``, False where any valid band is nodata (or outside a HYPERVIEW field);
* ``wavelength`` and ``fwhm``: float32 ``(C,)`` in nm (``fwhm`` NaN where unknown), so an adapter
  never guesses the sensor; ``bands`` is the :class:`~hsiadapt.spectral.BandSet` of the dataset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from hsiadapt.registry import Registry
from hsiadapt.spectral import BandSet

__all__ = [
    "DATASETS",
    "DatasetNotFoundError",
    "HSIDataError",
    "HSIDataset",
    "finite_targets",
    "read_split_file",
]

#: Registry of datasets: name -> class.
DATASETS: Registry[type[HSIDataset]] = Registry("dataset")

#: Multiply reflectance by this to get the sample scale (S2L2A L2A digital numbers).
SAMPLE_SCALE = 10_000.0


class DatasetNotFoundError(FileNotFoundError):
    """The dataset root is missing or incomplete; the message says what and where to get it."""


class HSIDataError(ValueError):
    """A data file is unusable (corrupt, wrong band count, bad labels); the message names it."""


def _layout(cls: type) -> str:
    """The on-disk layout a dataset's module docstring draws (its first ``::`` block), for
    not-found errors; or a pointer to docs/datasets.md."""
    import sys
    import textwrap

    doc = getattr(sys.modules.get(cls.__module__), "__doc__", None) or ""
    lines = doc.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.rstrip().endswith("::")), None)
    if start is None:
        return " see docs/datasets.md"
    block: list[str] = []
    for ln in lines[start + 1:]:
        if ln.strip() and not ln.startswith(" "):
            break
        block.append(ln)
    return "\n" + textwrap.dedent("\n".join(block)).strip("\n")


def read_split_file(path: Path, what: str, inside: Sequence[Path] = ()) -> list[str]:
    """Non-empty, stripped lines of a split list.

    Args:
        inside: folders the entries are relative to; each entry must stay inside every one of
            them (no absolute path, no ``..`` leading out), so a split list never makes a
            dataset read files outside its root.

    Raises:
        DatasetNotFoundError: no such file.
        HSIDataError: the file lists nothing, or an entry leads outside ``inside``.
    """
    if not path.is_file():
        raise DatasetNotFoundError(f"{what}: split file {path} is missing")
    lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]
    if not lines:
        raise HSIDataError(f"{what}: split file {path} is empty")
    for folder in inside:
        base = Path(folder).resolve()
        for n, ln in enumerate(lines, 1):
            if Path(ln).is_absolute() or not (base / ln).resolve().is_relative_to(base):
                raise HSIDataError(
                    f"{what}: split file {path}, line {n}: entry {ln!r} points outside {folder}; "
                    "entries are paths relative to it (e.g. '<tile_id>/<patch_id>.tif'). Fix "
                    "the split file")
    return lines


def finite_targets(path: Path, row: int, key: str, values: np.ndarray,
                   names: Sequence[str]) -> np.ndarray:
    """``values`` (one row of a target table), refused when a target is NaN or infinite."""
    bad = [n for n, v in zip(names, values, strict=True) if not np.isfinite(v)]
    if bad:
        raise HSIDataError(
            f"{path}: row {row} ({key}) has no finite value for {', '.join(bad)} (an empty cell, "
            "NaN or inf); fill in the value or remove the row (and its sample) from the table")
    return values


def read_label_table(path: Path) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    """A per-image target table (``file,<t1>,<t2>,...``): the target names and file -> targets.

    Raises:
        HSIDataError: no ``file`` column, or a value that is not a finite number.
    """
    import csv

    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "file" not in rows[0]:
        raise HSIDataError(f"{path}: needs a 'file' column and one column per target")
    targets = tuple(k for k in rows[0] if k != "file")
    labels: dict[str, np.ndarray] = {}
    for n, r in enumerate(rows, 2):  # line 1 is the header
        try:
            y = np.array([float(r[t] or "nan") for t in targets], np.float32)
        except ValueError as err:
            raise HSIDataError(f"{path}: bad value in row {r} ({err})") from None
        labels[r["file"]] = finite_targets(path, n, f"file {r['file']}", y, targets)
    return targets, labels


class HSIDataset(Dataset):
    """Base class: band metadata, the sample contract, transforms and ``plot``.

    Subclasses set ``bands`` and implement ``__len__`` and ``_load(index)``.
    """

    #: "segmentation", "regression" or "multilabel".
    task: str = "segmentation"
    #: Class names (segmentation / multi-label), in ordinal order.
    classes: Sequence[str] = ()
    #: Target names (regression).
    targets: Sequence[str] = ()
    ignore_index: int = -1
    bands: BandSet
    #: Where the data come from (used in DatasetNotFoundError messages).
    source_url: str = ""
    #: How a run scores the test split by default (segmentation): ``"native_pixels"`` - the
    #: labels' own grid, as ``hsiadapt predict`` maps it; a study's preset keeps the study's
    #: ``"resized_chips"`` (see :mod:`hsiadapt.experiment.scoring`).
    test_scoring: str = "native_pixels"

    def __init__(self, transforms: Callable[[dict[str, Any]], dict[str, Any]] | None = None):
        self.transforms = transforms
        #: what the loader assumed rather than read (``data check`` prints it)
        self.assumptions: list[str] = []

    def _not_found(self, root: Path, what: str) -> DatasetNotFoundError:
        hint = f" The data are distributed at {self.source_url}." if self.source_url else ""
        return DatasetNotFoundError(
            f"{type(self).__name__}: {what} not found under {Path(root).absolute()}.{hint} "
            "Point the dataset root (a task's 'root:' below 'data_root:' in a config, ROOT on "
            f"the command line) at the folder that holds this layout:{_layout(type(self))}"
        )

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def source_files(self) -> list[Path]:
        """Every file this split's samples are read from (images, masks, label tables); caches
        key on their sizes and modification times, so a changed file is never served stale."""
        return []

    def _load(self, index: int) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __getitem__(self, index: int) -> dict[str, Any]:
        sample = self._load(index)
        sample["wavelength"] = torch.as_tensor(self.bands.centers, dtype=torch.float32)
        sample["fwhm"] = torch.as_tensor(self.bands.fwhm, dtype=torch.float32)
        if self.transforms is not None:
            sample = self.transforms(sample)
        return sample

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    # -- plotting ----------------------------------------------------------------------------
    def rgb_indices(self) -> list[int]:
        """Indices of the bands nearest 650, 560 and 470 nm (for an RGB preview)."""
        c = self.bands.centers
        return [int(np.abs(c - w).argmin()) for w in (650.0, 560.0, 470.0)]

    def plot(self, sample: dict[str, Any], suptitle: str | None = None):
        """RGB preview with the mask / prediction next to it. Returns a matplotlib figure."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        img = sample["image"]
        rgb = img[self.rgb_indices()].permute(1, 2, 0).numpy().astype(np.float64)
        valid = sample.get("valid")
        lo, hi = np.percentile(rgb, [2, 98]) if rgb.size else (0, 1)
        rgb = np.clip((rgb - lo) / max(hi - lo, 1e-6), 0, 1)
        panels: list[tuple[str, Any, str | None]] = [("image (RGB)", rgb, None)]
        if "mask" in sample:
            m = sample["mask"].numpy().astype(float)
            m[sample["mask"].numpy() == self.ignore_index] = np.nan
            panels.append(("mask", m, "tab20"))
        if "prediction" in sample:
            panels.append(("prediction", sample["prediction"].numpy().astype(float), "tab20"))
        fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4), squeeze=False)
        for ax, (title, data, cmap) in zip(axes[0], panels, strict=True):
            if cmap:
                ax.imshow(data, cmap=cmap, vmin=0, vmax=max(self.num_classes - 1, 1),
                          interpolation="nearest")
            else:
                ax.imshow(data)
            ax.set_title(title)
            ax.axis("off")
        if valid is not None and not bool(valid.all()):
            axes[0][0].contour(valid.numpy(), levels=[0.5], colors="r", linewidths=0.5)
        if "label" in sample and self.task == "regression":
            txt = ", ".join(f"{n}={v:.3g}" for n, v in zip(self.targets, sample["label"].tolist(),
                                                             strict=False))
            fig.text(0.5, 0.02, txt, ha="center")
        if suptitle:
            fig.suptitle(suptitle)
        return fig
