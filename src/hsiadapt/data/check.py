"""``hsiadapt data check``: what a download contains, and what is wrong with it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hsiadapt.datasets.base import DATASETS, DatasetNotFoundError, HSIDataError, HSIDataset
from hsiadapt.spectral.sanity import spectral_sanity

__all__ = ["CheckReport", "check_dataset", "format_report"]


@dataclass
class CheckReport:
    dataset: str
    root: str
    splits: dict[str, int] = field(default_factory=dict)
    bands: int = 0
    band_table: str = ""
    wavelength_range_nm: tuple[float, float] = (0.0, 0.0)
    bad_bands: list[int] = field(default_factory=list)
    task: str = ""
    class_histogram: dict[str, int] = field(default_factory=dict)
    target_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    invalid_pixel_share: float = 0.0
    problems: list[str] = field(default_factory=list)
    spectral_findings: list[str] = field(default_factory=list)
    checked_samples: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_dataset(
    dataset: str,
    root: str | Path,
    *,
    dataset_args: dict[str, Any] | None = None,
    max_samples: int | None = None,
    mean_spectrum: np.ndarray | None = None,
) -> CheckReport:
    """Open every split, read (up to ``max_samples`` per split) every sample, and report.

    Problems (unreadable files, wrong band counts, empty masks, split files listing missing
    files...) are collected, not raised. The spectral sanity check runs on the data's mean
    spectrum over valid pixels, or on ``mean_spectrum`` when given (e.g. a published ``mu.npy``);
    each finding is reported as ``"strong: ..."`` (the labels are probably wrong) or
    ``"weak: ..."`` (odd, with other possible causes listed).
    """
    cls: Callable[..., HSIDataset] = DATASETS.get(dataset)
    rep = CheckReport(dataset=dataset, root=str(root))
    opened = {}
    for split in ("train", "val", "test"):
        try:
            opened[split] = cls(root, split, **(dataset_args or {}))
            rep.splits[split] = len(opened[split])
        except (DatasetNotFoundError, HSIDataError, ValueError) as err:
            rep.problems.append(f"split {split}: {err}")
    if not opened:
        return rep
    first = next(iter(opened.values()))
    b = first.bands
    rep.bands, rep.band_table = len(b), b.name
    rep.wavelength_range_nm = (float(b.centers.min()), float(b.centers.max()))
    rep.bad_bands = [int(i) for i in np.flatnonzero(~b.valid)]
    rep.task = getattr(first, "task", "")
    hist: dict[str, int] = {}
    sums = np.zeros(len(b))
    count = 0
    invalid = total = 0
    tmin: np.ndarray | None = None
    tmax: np.ndarray | None = None
    for split, ds in opened.items():
        n = len(ds) if max_samples is None else min(len(ds), max_samples)
        for i in range(n):
            try:
                s = ds[i]
            except (HSIDataError, OSError, ValueError) as err:
                rep.problems.append(f"{split}[{i}]: {err}")
                continue
            rep.checked_samples += 1
            img = s["image"].numpy()
            valid = s["valid"].numpy() if "valid" in s else np.ones(img.shape[1:], bool)
            invalid += int((~valid).sum())
            total += valid.size
            if not np.isfinite(img).all():
                rep.problems.append(f"{split}[{i}]: non-finite values in image")
            if valid.any():
                sums += img[:, valid].astype(np.float64).sum(axis=1)
                count += int(valid.sum())
            if "mask" in s:
                m = s["mask"].numpy()
                names = list(getattr(ds, "classes", ()))
                vals, cnt = np.unique(m, return_counts=True)
                for v, c in zip(vals.tolist(), cnt.tolist(), strict=True):
                    key = "ignore" if v == ds.ignore_index else (
                        names[v] if 0 <= v < len(names) else str(v))
                    hist[key] = hist.get(key, 0) + c
                if (m == ds.ignore_index).all():
                    rep.problems.append(f"{split}[{i}]: no labelled pixel")
            elif "label" in s and getattr(ds, "task", "") == "multilabel":
                names = list(ds.classes)
                for k in np.flatnonzero(s["label"].numpy()):
                    hist[names[k]] = hist.get(names[k], 0) + 1
            elif "label" in s:
                y = s["label"].numpy()
                tmin = y if tmin is None else np.minimum(tmin, y)
                tmax = y if tmax is None else np.maximum(tmax, y)
    rep.class_histogram = dict(sorted(hist.items(), key=lambda kv: -kv[1]))
    if tmin is not None and tmax is not None:
        rep.target_ranges = {t: (float(a), float(z)) for t, a, z in
                             zip(getattr(first, "targets", ()), tmin, tmax, strict=False)}
    rep.invalid_pixel_share = invalid / total if total else 0.0
    spectrum = mean_spectrum if mean_spectrum is not None else (sums / count if count else None)
    if spectrum is not None:
        rep.spectral_findings = [f"{f.severity}: {f.message}" for f in spectral_sanity(b, spectrum)]
    return rep


def format_report(rep: CheckReport) -> str:
    lines = [
        f"dataset {rep.dataset} at {rep.root}",
        "splits: " + (", ".join(f"{k} {v}" for k, v in rep.splits.items()) or "none found"),
        f"bands: {rep.bands} ({rep.band_table}), {rep.wavelength_range_nm[0]:.1f}-"
        f"{rep.wavelength_range_nm[1]:.1f} nm"
        + (f"; bad bands (0-based) {rep.bad_bands}" if rep.bad_bands else ""),
        f"task: {rep.task}; samples read: {rep.checked_samples}; invalid pixels: "
        f"{100 * rep.invalid_pixel_share:.1f}%",
    ]
    if rep.class_histogram:
        lines.append("classes (pixels, or chips for multi-label):")
        lines += [f"  {k:<32}{v:>12}" for k, v in rep.class_histogram.items()]
    if rep.target_ranges:
        lines.append("targets: " + ", ".join(f"{k} {a:g}..{z:g}"
                                              for k, (a, z) in rep.target_ranges.items()))
    lines.append("spectral sanity: " + ("ok" if not rep.spectral_findings else ""))
    lines += [f"  ! {f}" for f in rep.spectral_findings]
    lines.append(f"problems: {len(rep.problems)}" + ("" if rep.problems else " (none)"))
    lines += [f"  - {p}" for p in rep.problems[:50]]
    if len(rep.problems) > 50:
        lines.append(f"  ... and {len(rep.problems) - 50} more")
    return "\n".join(lines)
