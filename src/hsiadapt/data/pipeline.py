"""The pieces of a data module's per-split pipeline: steps applied in order, samples kept in
memory when a split is small."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.utils.data import Dataset

__all__ = ["MEMORY_MB", "Memo", "Pipeline", "sample_bytes"]


class Pipeline(Dataset):
    """``base``'s samples passed through ``steps`` in order."""

    def __init__(self, base: Dataset, steps: list[Callable[[dict[str, Any]], dict[str, Any]]]):
        self.base, self.steps = base, steps

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> dict[str, Any]:
        s = self.base[i]
        for step in self.steps:
            s = step(s)
        return s


class Memo(Dataset):
    """Keeps each sample the first time it is read (the samples before augmentation are the same
    every epoch): a small split is read (and adapted) once per run, not once per epoch."""

    def __init__(self, base: Dataset, kept: dict[int, dict[str, Any]] | None = None) -> None:
        self.base = base
        #: ``kept``: shared with earlier runs of this process on the same data
        #: (:func:`hsiadapt.data.reuse.kept_samples`)
        self.kept: dict[int, dict[str, Any]] = {} if kept is None else kept

    def __len__(self) -> int:
        return len(self.base)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> dict[str, Any]:
        if i not in self.kept:
            self.kept[i] = self.base[i]
        return dict(self.kept[i])


def sample_bytes(sample: dict[str, Any]) -> int:
    return sum(v.numel() * v.element_size() for v in sample.values() if torch.is_tensor(v))


#: a split whose samples fit in this many MiB is kept in memory (HSIADAPT_MEMORY_MB overrides)
MEMORY_MB = 1024
