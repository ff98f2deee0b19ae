"""What ``data check`` counts, sample by sample: invalid pixels, value statistics (streamed,
:class:`~hsiadapt.data._check_stats.ChipStatistics`), raw and unknown mask codes, the class
histogram and the regression targets' range."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hsiadapt.data._check_stats import ChipStatistics
from hsiadapt.datasets.label_audit import code_counts

__all__ = ["SampleTally"]


@dataclass
class SampleTally:
    """The running counts of one ``data check``."""

    chips: ChipStatistics
    invalid: int = 0
    total: int = 0
    unknown: dict[int, int] = field(default_factory=dict)  # code -> pixels, not a class
    unknown_chips: int = 0
    raw_counts: dict[int, int] = field(default_factory=dict)  # every raw mask code -> pixels
    hist: dict[str, int] = field(default_factory=dict)  # class name -> pixels (or samples)
    tmin: np.ndarray | None = None
    tmax: np.ndarray | None = None

    def add(self, where: str, s: dict[str, Any], ds: Any, index: int) -> list[str]:
        """Count sample ``s`` (``ds[index]``, named ``where`` in messages); its problems."""
        problems = []
        img = s["image"].numpy()
        valid = s["valid"].numpy() if "valid" in s else np.ones(img.shape[1:], bool)
        self.invalid += int((~valid).sum())
        self.total += valid.size
        if not self.chips.add(img, valid):
            problems.append(f"{where}: non-finite values in image")
        label_map = getattr(ds, "label_map", None)
        if label_map is not None and hasattr(ds, "raw_labels"):
            raw = ds.raw_labels(index)
            found = label_map.unknown_codes(raw)
            for code, c in code_counts([raw]).items():
                self.raw_counts[code] = self.raw_counts.get(code, 0) + c
            self.unknown_chips += bool(found)
            for code, c in found.items():
                self.unknown[code] = self.unknown.get(code, 0) + c
        if "mask" in s:
            m = s["mask"].numpy()
            names = list(getattr(ds, "classes", ()))
            vals, cnt = np.unique(m, return_counts=True)
            for v, c in zip(vals.tolist(), cnt.tolist(), strict=True):
                key = "ignore" if v == ds.ignore_index else (
                    names[v] if 0 <= v < len(names) else str(v))
                self.hist[key] = self.hist.get(key, 0) + c
            if (m == ds.ignore_index).all():
                problems.append(f"{where}: no labelled pixel")
        elif "label" in s and getattr(ds, "task", "") == "multilabel":
            names = list(ds.classes)
            for k in np.flatnonzero(s["label"].numpy()):
                self.hist[names[k]] = self.hist.get(names[k], 0) + 1
        elif "label" in s:
            y = s["label"].numpy()
            self.tmin = y if self.tmin is None else np.minimum(self.tmin, y)
            self.tmax = y if self.tmax is None else np.maximum(self.tmax, y)
        return problems
