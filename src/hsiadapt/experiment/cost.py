"""What a grid costs: chip-steps from the grid, GPU-hours from a measured throughput.

A run trains ``train`` chips and validates ``val`` chips every epoch. Its chip-steps at the
recipe's maximum epochs are ``(train + val / 3) * max_epochs`` (a validation chip is a forward
pass only: about a third of a training step's work); with early stopping a run ends no sooner
than ``patience + 1`` epochs, so the grid's cost lies between those two bounds. Finished runs in
the output folder tell how many epochs this grid's runs really took (median ratio to the
maximum, per task), which gives the typical case. GPU-hours are chip-steps over a throughput in
training chips per second: measured with ``benchmarks/gpu.py`` (its JSON line's
``chips_per_s``) or given with ``--chips-per-second``; there is no built-in guess.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from hsiadapt.experiment.config import RunSpec

__all__ = ["PUBLISHED_SPLITS", "CostEstimate", "estimate_cost", "read_throughput"]

#: Published split sizes (train, val) used when the split files are not on disk yet.
PUBLISHED_SPLITS = {"enmap_bnetd": (1575, 210), "enmap_cdl": (1200, 160),
                    "enmap_bdforet": (1911, 255), "enmap_corine": (8250, 1100),
                    "hyperview1": (1040, 346)}
#: a validation chip costs about this share of a training step (forward only)
VAL_SHARE = 1 / 3


def _split_sizes(spec: RunSpec) -> tuple[int, int]:
    split_dir = Path(spec.data_root) / "splits" / spec.task.dataset
    if split_dir.is_dir():
        sizes = []
        for s in ("train", "val"):
            f = split_dir / f"{s}.txt"
            sizes.append(sum(1 for ln in f.read_text().splitlines() if ln.strip())
                         if f.is_file() else 0)
        if sum(sizes):
            return sizes[0], sizes[1]
    return PUBLISHED_SPLITS.get(spec.task.dataset, (1000, 100))


def read_throughput(path: str | Path) -> tuple[float, str]:
    """``chips_per_s`` from the last JSON line of a ``benchmarks/gpu.py`` output file, and a
    description of where it came from.

    Raises:
        ValueError: no JSON line with a positive ``chips_per_s`` in the file.
    """
    p = Path(path)
    for line in reversed(p.read_text().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            row = json.loads(line)
            value = float(row.get("chips_per_s") or 0)
            if value > 0:
                what = ", ".join(f"{k} {row[k]}" for k in ("model", "image_size", "precision",
                                                           "device") if k in row)
                return value, f"measured by benchmarks/gpu.py ({what}; {p})"
    raise ValueError(f"--throughput {p}: no JSON line with a positive chips_per_s; give the "
                     "file benchmarks/gpu.py printed, or --chips-per-second N")


def _measured_epoch_share(output: Path) -> dict[str, float]:
    """Per task: the median of (epochs trained / maximum epochs) over finished runs."""
    import yaml

    from hsiadapt.experiment.record import CONFIG_FILE

    shares: dict[str, list[float]] = {}
    for f in output.glob("*/metrics.json"):
        try:
            rec = json.loads(f.read_text())
            if rec.get("status") != "finished":
                continue
            cfg = yaml.safe_load((f.parent / CONFIG_FILE).read_text())
            cfg_max = int(cfg["recipe"]["max_epochs"])
            # Lightning's current_epoch after fit: the number of epochs trained
            shares.setdefault(rec["task"], []).append(min(1.0, int(rec["epochs"]) / cfg_max))
        except (OSError, ValueError, KeyError, TypeError, yaml.YAMLError):
            continue
    return {t: statistics.median(v) for t, v in shares.items()}


@dataclass(frozen=True)
class CostEstimate:
    runs: int
    chip_steps_max: float  # training-step equivalents at the recipes' maximum epochs
    chip_steps_earliest: float  # if early stopping ended every run at patience + 1 epochs
    chip_steps_measured: float | None  # from finished runs' epochs, where there are any
    measured_tasks: tuple[str, ...]

    def hours(self, chips_per_s: float) -> tuple[float, float, float | None]:
        h = 3600.0 * chips_per_s
        return (self.chip_steps_max / h, self.chip_steps_earliest / h,
                None if self.chip_steps_measured is None else self.chip_steps_measured / h)

    def describe(self, name: str, chips_per_s: float | None, source: str) -> str:
        head = (f"{name}: {self.runs} runs; {self.chip_steps_max / 1e6:.2f} M chip-steps at "
                f"the recipes' maximum epochs, {self.chip_steps_earliest / 1e6:.2f} M if early "
                "stopping ended every run at its earliest (patience + 1 epochs)")
        if self.chip_steps_measured is not None:
            head += (f", {self.chip_steps_measured / 1e6:.2f} M at the epochs finished runs took "
                     f"({', '.join(self.measured_tasks)})")
        if chips_per_s is None:
            return (head + ". GPU-hours: measure your GPU's throughput with "
                    "`python benchmarks/gpu.py` and pass --throughput FILE (or "
                    "--chips-per-second N)")
        hi, lo, typ = self.hours(chips_per_s)
        text = (f"{head}.\nAt {chips_per_s:,.0f} training chips/s ({source}): at most "
                f"{hi:.1f} GPU-hours, at least {lo:.1f}")
        return text + (f", typically {typ:.1f} (measured epochs)" if typ is not None else "")


def estimate_cost(runs: list[RunSpec], output: str | Path | None = None) -> CostEstimate:
    """The grid's chip-steps (see the module docstring)."""
    measured = _measured_epoch_share(Path(output)) if output is not None else {}
    hi = lo = typ = 0.0
    for r in runs:
        train, val = _split_sizes(r)
        recipe = r.task.recipe_obj()
        per_epoch = train + val * VAL_SHARE
        hi += per_epoch * recipe.max_epochs
        lo += per_epoch * min(recipe.max_epochs, recipe.patience + 1)
        typ += per_epoch * recipe.max_epochs * measured.get(r.task.name, 1.0)
    return CostEstimate(len(runs), hi, lo, typ if measured else None, tuple(sorted(measured)))
