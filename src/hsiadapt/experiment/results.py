"""``results.csv``: one row per task x model x init x adapter, from the run folders (and any
classical baseline rows), with the share of the adapter gap each adaptation recovers.

Columns: ``task, model, init, adapter, metric, direction, mean, std, n``. ``init`` is ``random``,
``s2_prior`` / ``hsi_prior`` (priors pretrained by ``hsiadapt pretrain``), ``pretrained``
(other weights) or ``none`` (classical baselines).
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from hsiadapt._atomic import atomic_write_text
from hsiadapt.experiment.record import RunRecord

__all__ = ["COLUMNS", "beyond_spread", "gap_recovered", "init_of", "result_rows", "write_results_csv"]

COLUMNS = ("task", "model", "init", "adapter", "metric", "direction", "mean", "std", "n")


def init_of(record: RunRecord) -> str:
    """How a run's backbone started: ``random``, ``<prior>_prior`` (the prior its backbone entry
    named, e.g. ``s2_prior``), or ``pretrained`` (other weights); ``none`` for a classical
    baseline (no backbone)."""
    if record.is_baseline:
        return "none"
    if (record.weights or "random") == "random":
        return "random"
    return f"{record.prior}_prior" if record.prior else "pretrained"


def result_rows(records: Iterable[RunRecord]) -> list[dict[str, Any]]:
    """Aggregate finished runs over seeds: mean, sample std and count per group."""
    groups: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    metric: dict[tuple[str, str, str, str], tuple[str, str]] = {}
    for r in records:
        if not r.finished:
            continue
        key = (r.task, r.model or r.backbone, init_of(r), r.adapter)
        v = r.value()
        if v is not None and math.isfinite(v):
            groups[key].append(v)
            metric[key] = r.primary()
    rows = []
    for key in sorted(groups):
        vals = np.asarray(groups[key])
        m, d = metric[key]
        rows.append({"task": key[0], "model": key[1], "init": key[2], "adapter": key[3],
                     "metric": m, "direction": d, "mean": float(vals.mean()),
                     "std": float(vals.std(ddof=1)) if len(vals) > 1 else 0.0,
                     "n": len(vals)})
    return rows


def gap_recovered(rows: list[dict[str, Any]], task: str, *, model: str, init: str,
                  hsi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per adapter of (``model``, ``init``) on ``task``: ``(adapter - select) / (hsi - select)``
    against the HSI-native row ``hsi``, and whether the difference to ``select`` exceeds the
    seeds' spread (the larger of the two standard deviations; ``None`` with fewer than two
    seeds on either side: there is no spread to compare with)."""
    mine = {r["adapter"]: r for r in rows
            if r["task"] == task and r["model"] == model and r["init"] == init}
    if "select" not in mine:
        return {}
    base = mine["select"]
    gap = hsi["mean"] - base["mean"]
    out = {}
    for a, r in mine.items():
        diff = r["mean"] - base["mean"]
        out[a] = {"share": diff / gap if gap else math.nan,
                  "beyond_spread": beyond_spread(diff, r, base)}
    return out


def beyond_spread(diff: float, a: dict[str, Any], b: dict[str, Any]) -> bool | None:
    """Whether a difference between rows ``a`` and ``b`` exceeds the seeds' spread (the larger
    standard deviation); ``None`` when either row has fewer than two seeds."""
    if min(int(a["n"]), int(b["n"])) < 2:
        return None
    return bool(abs(diff) > max(a["std"], b["std"]))


def write_results_csv(path: str | Path, rows: list[dict[str, Any]],
                      columns: tuple[str, ...] = COLUMNS) -> Path:
    """Write the rows (atomically), floats to 6 significant digits."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k]) for k in columns})
    atomic_write_text(path, buf.getvalue())
    return Path(path)
