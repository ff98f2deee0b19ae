"""Table 1 from the run folders: mean +- std (n) per task x backbone x adapter.

Each column shows the primary metric its runs recorded (declared by the task: segmentation
``miou``, higher is better; HYPERVIEW-style regression ``hyperview_score``, lower; multi-label
``map_macro``, higher). In each column the best model is
**bold**; within each backbone the best adaptation is underlined. A regression column can also
show the rank the mean score would take on a leaderboard (a CSV of public scores). Missing cells
are shown as ``n/a`` and failed runs are counted, never dropped silently; runs that resumed from
a checkpoint after an interruption are counted too (``n=3, 1 resumed``). Literature rows (the
study's or SpectralEarth's published numbers, from a CSV the user supplies) can be shown beside
the measured ones and are marked as such. Classical baselines (``baselines:`` in the config)
are rows marked *(baseline)*, after the deep rows; a line under the table says when a task's
best deep row is below its best baseline (:mod:`.table_baselines`).
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hsiadapt.experiment.record import RunRecord, collect_records
from hsiadapt.experiment.table_baselines import baseline_notes
from hsiadapt.models.metrics import undefined_classes

__all__ = ["Cell", "ResultsTable", "build_table", "collect_runs", "leaderboard_rank"]

def collect_runs(root: str | Path) -> list[RunRecord]:
    """Every run record under ``root`` (finished and failed)."""
    return collect_records(root)


@dataclass
class Cell:
    values: list[float] = field(default_factory=list)
    failed: int = 0
    resumed: int = 0  # finished runs that resumed from a checkpoint after an interruption
    literature: tuple[float, float | None] | None = None
    #: what the literature value measures (e.g. ``miou_micro_without_background``)
    definition: str = ""

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else math.nan

    @property
    def std(self) -> float:
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else 0.0


#: published numbers shipped with hsiadapt (each CSV cites its sources in its header):
#: ``study`` - the TerraMind HSI study's Table 1 (Leonardi et al.), with the SpectralEarth rows
#: it quotes (Braham et al. 2025); ``hyperview1`` - the HYPERVIEW-1 scores traceable to a public
#: source (not the whole leaderboard: a rank from them is only a bound)
SHIPPED = {"study": "study_table1.csv", "hyperview1": "hyperview1_scores.csv"}
#: shipped leaderboards that list only part of the board
PARTIAL_BOARDS = {"hyperview1"}


def shipped_file(name_or_path: str | Path) -> Path:
    """A shipped CSV by name (``study``, ``hyperview1``), or the given path."""
    if str(name_or_path) in SHIPPED:
        from importlib import resources

        return Path(str(resources.files("hsiadapt.experiment").joinpath(
            "_data", SHIPPED[str(name_or_path)])))
    p = Path(name_or_path)
    if not p.is_file():
        raise FileNotFoundError(f"{p} does not exist; give a CSV path or one of the shipped "
                                f"names {sorted(SHIPPED)}")
    return p


def leaderboard_rank(score: float, board: list[float]) -> int:
    """1-based rank a (lower-is-better) score would take among ``board`` scores."""
    return 1 + sum(1 for s in board if s < score)


def _read_leaderboard(path: str | Path | None) -> list[float]:
    if path is None:
        return []
    rows = [r for r in csv.DictReader(
        ln for ln in shipped_file(path).read_text().splitlines()
        if ln and not ln.startswith("#"))]
    return sorted(float(r["score"]) for r in rows)


@dataclass
class ResultsTable:
    columns: list[str]
    directions: dict[str, str]
    metrics: dict[str, str]
    rows: list[tuple[str, str, bool]]  # (backbone, adapter, is_literature)
    cells: dict[tuple[str, str, str], Cell]
    ranks: dict[tuple[str, str, str], int]
    bold: set[tuple[str, str, str]]
    underline: set[tuple[str, str, str]]
    #: the leaderboard lists only part of the board: ranks are lower bounds
    rank_is_bound: bool = False
    #: rows that are classical baselines (:mod:`.baselines`), not deep runs
    baselines: set[tuple[str, str]] = field(default_factory=set)

    def _name(self, b: str, a: str, lit: bool, fmt: str) -> str:
        if lit:
            return b + (" *(published)*" if fmt == "md" else " (published)")
        if (b, a) in self.baselines:
            return b + (" *(baseline)*" if fmt == "md" else " (baseline)")
        return b
    #: per column: how its measured runs scored the test split (``resized_chips``,
    #: ``native_pixels``, or both joined by ``+`` when its runs differ)
    scoring: dict[str, str] = field(default_factory=dict)
    #: per column: the definition of its measured runs' metric (:func:`metric_definition`)
    definitions: dict[str, str] = field(default_factory=dict)
    #: per column: classes with an undefined test IoU (no test pixel, none predicted) -> the
    #: rows (``backbone / adapter``) whose runs left them out of the mIoU mean
    undefined: dict[str, dict[str, set[str]]] = field(default_factory=dict)

    def _other_definition(self, key: tuple[str, str, str]) -> bool:
        """A literature value whose metric is defined otherwise than the column's runs'."""
        c, measured = self.cells.get(key), self.definitions.get(key[2])
        return bool(c and c.definition and measured and c.definition != measured)

    def _definition_lines(self) -> list[str]:
        out = []
        for b, a, col in sorted(k for k in self.cells if self._other_definition(k)):
            out.append(f"† {b} / {a} on {col}: the published value is "
                       f"{self.cells[(b, a, col)].definition}, the measured runs' "
                       f"{self.definitions[col]}: not the same metric.")
        return out

    def _fmt(self, key: tuple[str, str, str], fmt: str) -> str:
        c = self.cells.get(key)
        if c is None or (c.n == 0 and c.literature is None):
            txt = "n/a" if c is None or c.failed == 0 else f"failed ({c.failed})"
            return txt
        if c.literature is not None:
            m, s = c.literature
            txt = f"{m:.3f}" + (f" ± {s:.3f}" if s is not None else "")
            if self._other_definition(key):
                txt += " †"
        else:
            # one seed has no spread: the value and n=1, not a misleading "± 0.000"
            resumed = f", {c.resumed} resumed" if c.resumed else ""
            txt = (f"{c.mean:.3f} (n=1{resumed})" if c.n == 1 else
                   f"{c.mean:.3f} ± {c.std:.3f} (n={c.n}{resumed})")
            if c.failed:
                txt += f" [+{c.failed} failed]"
        if key in self.ranks:
            txt += (f", rank bound ≥ {self.ranks[key]}" if self.rank_is_bound
                    else f", rank {self.ranks[key]}")
        if fmt == "md":
            if key in self.bold:
                txt = f"**{txt}**"
            if key in self.underline:
                txt = f"<u>{txt}</u>"
        elif fmt == "latex":
            txt = txt.replace("±", r"$\pm$")
            if key in self.bold:
                txt = rf"\textbf{{{txt}}}"
            if key in self.underline:
                txt = rf"\underline{{{txt}}}"
        return txt

    def _scoring_lines(self) -> list[str]:
        """Which test score each column shows (:mod:`hsiadapt.experiment.scoring`)."""
        from hsiadapt.experiment.scoring import DESCRIPTION

        parts = []
        for col in self.columns:
            s = self.scoring.get(col)
            if s is None:
                continue
            what = DESCRIPTION.get(s, f"mixed: {s.replace('+', ' and ')} (re-run the older "
                                      "runs to compare like with like)")
            parts.append(f"{col}: {what}")
        return ["Test scores: " + "; ".join(parts) + "."] if parts else []

    def render(self, fmt: str = "md") -> str:
        heads = [f"{c} ({self.metrics[c]} {'↑' if self.directions[c] == 'max' else '↓'})"
                 for c in self.columns]
        if fmt == "csv":
            lines = ["backbone,adapter,source," + ",".join(
                f"{c}_{x}" for c in self.columns for x in ("mean", "std", "n", "failed", "resumed"))]
            for b, a, lit in self.rows:
                vals = []
                for col in self.columns:
                    cell = self.cells.get((b, a, col), Cell())
                    if lit and cell.literature:
                        vals += [f"{cell.literature[0]:.6g}",
                                 "" if cell.literature[1] is None else f"{cell.literature[1]:.6g}",
                                 "", "", ""]
                    else:
                        vals += ["" if cell.n == 0 else f"{cell.mean:.6g}",
                                 "" if cell.n == 0 else f"{cell.std:.6g}", str(cell.n),
                                 str(cell.failed), str(cell.resumed)]
                source = ("literature" if lit else "baseline" if (b, a) in self.baselines
                          else "measured")
                lines.append(f"{b},{a},{source}," + ",".join(vals))
            return "\n".join(lines)
        if fmt == "latex":
            spec = "ll" + "c" * len(self.columns)
            out = [r"\begin{tabular}{" + spec + "}", r"\toprule",
                   "Backbone & Adaptation & " + " & ".join(
                       h.replace("↑", r"$\uparrow$").replace("↓", r"$\downarrow$").replace(
                           "_", r"\_") for h in heads) + r" \\", r"\midrule"]
            for b, a, lit in self.rows:
                name = self._name(b, a, lit, "latex").replace("_", r"\_")
                out.append(f"{name} & {a.replace('_', chr(92) + '_')} & " + " & ".join(
                    self._fmt((b, a, c), "latex") for c in self.columns) + r" \\")
            out += [r"\bottomrule", r"\end{tabular}"]
            return "\n".join(out)
        out = ["| Backbone | Adaptation | " + " | ".join(heads) + " |",
               "|---|---|" + "---|" * len(self.columns)]
        for b, a, lit in self.rows:
            name = self._name(b, a, lit, "md")
            out.append(f"| {name} | {a} | " + " | ".join(
                self._fmt((b, a, c), "md") for c in self.columns) + " |")
        out.append("")
        out.append("mean ± std over seeds (n = finished runs); **bold**: best model per column; "
                   "underlined: best adaptation per backbone; ↑ higher is better, ↓ lower is "
                   "better. Literature rows are published numbers, not measured here.")
        out += self._scoring_lines()
        for col, gone in self.undefined.items():
            out.append(f"{col}: IoU undefined for " + "; ".join(
                f"{c} (no pixel in the test split nor predicted; {', '.join(sorted(rows))})"
                for c, rows in sorted(gone.items()))
                + ": left out of the mIoU mean of those runs, not counted as 0.")
        out += self._definition_lines()
        if self.rank_is_bound and self.ranks:
            out.append("Ranks are bounds: computed from the HYPERVIEW-1 scores traceable to a "
                       "public source, not the full leaderboard, so 'rank bound ≥ N' means at "
                       "least N - 1 teams scored better.")
        means = {col: {(b, a): c.mean for b, a, lit in self.rows if not lit
                       and (c := self.cells.get((b, a, col))) is not None and c.n}
                 for col in self.columns}
        out += baseline_notes(means, self.baselines, self.directions, self.metrics)
        if any(c.resumed for c in self.cells.values()):
            out.append("resumed: runs resumed from a checkpoint after an interruption (their "
                       "numbers match an uninterrupted run on CPU; on GPU only up to "
                       "non-deterministic kernels).")
        return "\n".join(out)


def metric_definition(metric: str, classes: list[str]) -> str:
    """What a run's primary metric measures: mIoU is macro over the scored classes, with the
    background among them when the run trained it as a class (its last class ``Background``)."""
    if metric != "miou":
        return metric
    return "miou_macro_" + ("with" if "Background" in classes else "without") + "_background"


def build_table(runs: list[RunRecord], *, leaderboard: str | Path | None = None,
                literature: str | Path | None = None) -> ResultsTable:
    """Aggregate run metrics into a :class:`ResultsTable`."""
    cells: dict[tuple[str, str, str], Cell] = defaultdict(Cell)
    columns: list[str] = []
    directions: dict[str, str] = {}
    metrics: dict[str, str] = {}
    rows: list[tuple[str, str, bool]] = []
    baselines = {(m.backbone, m.adapter) for m in runs if m.is_baseline}
    scorings: dict[str, set[str]] = defaultdict(set)
    undefined: dict[str, dict[str, set[str]]] = {}
    definitions: dict[str, set[str]] = defaultdict(set)
    for m in runs:
        task = m.task or "?"
        key = (m.backbone or "?", m.adapter or "?", task)
        if (key[0], key[1], False) not in rows:
            rows.append((key[0], key[1], False))
        if task not in columns:
            columns.append(task)
        if not m.finished:
            cells[key].failed += 1
            continue
        metric, direction = m.primary()
        directions[task], metrics[task] = direction, metric
        v = m.value(metric)
        if v is None or not math.isfinite(float(v)):
            cells[key].failed += 1
            continue
        cells[key].values.append(float(v))
        for c in undefined_classes(m.test) if metric == "miou" else ():
            undefined.setdefault(task, {}).setdefault(c, set()).add(f"{key[0]} / {key[1]}")
        cells[key].resumed += int(m.resumed_from_checkpoint)
        scorings[task].add(m.test_scoring or "resized_chips")
        definitions[task].add(metric_definition(metric, m.classes))
    for c in columns:
        directions.setdefault(c, "max")
        metrics.setdefault(c, "miou")
    if literature is not None:
        for r in csv.DictReader(ln for ln in shipped_file(literature).read_text().splitlines()
                                if ln and not ln.startswith("#")):
            key = (r["model"], r["adapter"], r["task"])
            if r["task"] not in columns:
                columns.append(r["task"])
                directions[r["task"]] = "min" if r.get("direction", "max") == "min" else "max"
                metrics[r["task"]] = r.get("metric", "")
            if (key[0], key[1], True) not in rows:
                rows.append((key[0], key[1], True))
            std = float(r["std"]) if r.get("std") else None
            cells[key].literature = (float(r["mean"]), std)
            cells[key].definition = r.get("definition") or ""  # unknown: not compared
    bold: set[tuple[str, str, str]] = set()
    underline: set[tuple[str, str, str]] = set()
    ranks: dict[tuple[str, str, str], int] = {}
    board = _read_leaderboard(leaderboard)
    for col in columns:
        measured = [(b, a) for b, a, lit in rows if not lit and cells.get((b, a, col))
                    and cells[(b, a, col)].n]
        if not measured:
            continue
        sign = 1 if directions[col] == "max" else -1
        best = max(measured, key=lambda ba: sign * cells[(ba[0], ba[1], col)].mean)
        bold.add((best[0], best[1], col))
        for b in {b for b, _ in measured}:
            mine = [(bb, a) for bb, a in measured if bb == b]
            if len(mine) > 1:
                bb = max(mine, key=lambda ba: sign * cells[(ba[0], ba[1], col)].mean)
                underline.add((bb[0], bb[1], col))
        if board and directions[col] == "min" and metrics[col] == "hyperview_score":
            for b, a in measured:
                ranks[(b, a, col)] = leaderboard_rank(cells[(b, a, col)].mean, board)
    rows.sort(key=lambda r: (r[2], (r[0], r[1]) in baselines, r[0], r[1]))
    bound = leaderboard is not None and str(leaderboard) in PARTIAL_BOARDS
    return ResultsTable(columns, directions, metrics, rows, dict(cells), ranks, bold, underline,
                        rank_is_bound=bound, baselines=baselines,
                        scoring={c: "+".join(sorted(s)) for c, s in scorings.items()},
                        definitions={c: "+".join(sorted(s)) for c, s in definitions.items()},
                        undefined=undefined)
