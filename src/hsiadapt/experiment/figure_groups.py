"""What each figure draws, grouped as the table groups runs: one *row* per backbone entry (its
label) and adapter name, its seeds averaged. Pure data, no plotting, so that what a figure shows
and what its title says can be checked (:mod:`.figures` draws it).
"""

from __future__ import annotations

import json
import warnings
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from hsiadapt.experiment.plan import fixed_adapter
from hsiadapt.experiment.record import RunRecord

__all__ = ["ClassBars", "Row", "best_rows", "class_bars", "rows", "spectral_map_runs"]


@dataclass(frozen=True)
class Row:
    """The finished runs of one backbone entry and adapter (one row of the table)."""

    backbone: str
    adapter: str
    runs: tuple[RunRecord, ...]

    @property
    def n(self) -> int:
        return len(self.runs)

    def values(self) -> list[float]:
        """The runs' finite primary test metric (what the table averages)."""
        got = [m.value(m.primary()[0]) for m in self.runs]
        return [float(v) for v in got if v is not None and np.isfinite(v)]

    def label(self, one_backbone: bool) -> str:
        """``adapter`` when the figure has one backbone, else ``backbone / adapter``."""
        return self.adapter if one_backbone else f"{self.backbone} / {self.adapter}"


def rows(ms: list[RunRecord]) -> list[Row]:
    """The runs of one task grouped by (backbone entry, adapter name), in the table's order."""
    groups: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for m in ms:
        groups[(m.backbone or "?", m.adapter or "?")].append(m)
    return [Row(b, a, tuple(sorted(g, key=lambda m: m.seed))) for (b, a), g in sorted(
        groups.items())]


def best_rows(ms: list[RunRecord]) -> list[tuple[Row, RunRecord]]:
    """Per backbone entry, its best row by the mean primary metric (the table's underline; the
    only row when there is one) and the run shown for it (its lowest seed)."""
    out = []
    by_backbone: dict[str, list[Row]] = defaultdict(list)
    for r in rows(ms):
        if r.values():
            by_backbone[r.backbone].append(r)
    for b in sorted(by_backbone):
        cands = by_backbone[b]
        sign = 1 if cands[0].runs[0].primary()[1] == "max" else -1
        best = max(cands, key=lambda r: (sign * float(np.mean(r.values())), r.adapter))
        out.append((best, best.runs[0]))
    return out


@dataclass(frozen=True)
class ClassBars:
    """Per-class test IoU of one row: mean over its seeds, std (``None`` for one seed)."""

    row: Row
    mean: np.ndarray
    std: np.ndarray | None


def class_bars(ms: list[RunRecord], names: list[str]) -> list[ClassBars]:
    """The per-class IoU figure's bars: one group per row, its seeds averaged."""
    out = []
    for r in rows(ms):
        vals = np.array([[m.test.get(f"iou/{n}", np.nan) for n in names] for m in r.runs],
                        dtype=float)
        with warnings.catch_warnings():  # a class absent from every test split stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(vals, axis=0)
            std = np.nanstd(vals, axis=0) if r.n > 1 else None
        out.append(ClassBars(r, mean, std))
    return out


def spectral_map_runs(runs: list[RunRecord]) -> dict[str, RunRecord]:
    """``spectral_map_<task>_<adapter name>`` -> a run that used that fixed adapter (one per
    task, adapter name and arguments: the figure shows the map of the adapter it names)."""
    out: dict[str, RunRecord] = {}
    seen: dict[str, str] = {}
    for m in runs:
        bands = m.bands()
        if bands is None or not fixed_adapter(m.input_mode):
            continue
        name = f"spectral_map_{m.task or bands.name}_{m.adapter or m.input_mode}"
        args = json.dumps([m.input_mode, m.adapter_args], sort_keys=True)
        if name in out and seen[name] != args:
            # one adapter name with other arguments per backbone: name each map apart
            name = f"{name}_{m.backbone}"
        if name not in out:
            out[name], seen[name] = m, args
    return out
