"""``hsiadapt reproduce table1``: run + table + figures for the study, with a cost estimate.

The estimate counts the training and validation chips of every run (from the split files under
the data root when present, otherwise from the published split sizes) times the recipe's
maximum epochs times ``seconds_per_chip``. That per-chip cost is an *assumption* to be set for
the user's hardware (default 0.05 s for TerraMind-base at 224 px, 16-mixed, one A100-class
GPU - not measured here, where no GPU was available); early stopping usually ends runs sooner,
so the estimate is an upper bound for that hardware.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hsiadapt.experiment.config import ExperimentConfig, RunSpec, load_config

__all__ = ["estimate_hours", "find_config", "reproduce"]

#: Published split sizes (train, val) used when the split files are not on disk yet.
PUBLISHED_SPLITS = {"enmap_bnetd": (1575, 210), "enmap_cdl": (1200, 160),
                    "enmap_bdforet": (1911, 255), "enmap_corine": (8250, 1100),
                    "hyperview1": (1040, 346)}


def find_config(name: str) -> Path:
    """``configs/<name>.yaml`` in the working directory or the hsiadapt source tree."""
    for base in (Path.cwd() / "configs", Path(__file__).resolve().parents[3] / "configs"):
        p = base / f"{name}.yaml"
        if p.is_file():
            return p
    raise FileNotFoundError(f"no configs/{name}.yaml here or in the hsiadapt source tree")


def _chips(spec: RunSpec) -> int:
    root = Path(spec.data_root)
    split_dir = root / "splits" / spec.task.dataset
    if split_dir.is_dir():
        n = 0
        for s in ("train", "val"):
            f = split_dir / f"{s}.txt"
            if f.is_file():
                n += sum(1 for ln in f.read_text().splitlines() if ln.strip())
        if n:
            return n
    return sum(PUBLISHED_SPLITS.get(spec.task.dataset, (1000, 100)))


def estimate_hours(cfg: ExperimentConfig, runs: list[RunSpec], seconds_per_chip: float) -> float:
    total = 0.0
    for r in runs:
        total += _chips(r) * r.task.recipe_obj().max_epochs * seconds_per_chip
    return total / 3600.0


def reproduce(name: str, data_root: str, *, output: str | None = None,
              seconds_per_chip: float = 0.05, dry_run: bool = False,
              max_epochs: int | None = None, variant: str | None = None,
              echo: Callable[[str], None] = print) -> int:
    from hsiadapt.experiment.figures import make_figures
    from hsiadapt.experiment.sweep import run_sweep
    from hsiadapt.experiment.table import build_table, collect_runs

    # a shipped config's own output would resolve inside the source tree: default to
    # ./runs/<name> in the current directory
    default_out = Path("runs") / (name if variant is None else f"{name}.{variant}")
    cfg = load_config(find_config(name), data_root=data_root, variant=variant,
                      output=output if output is not None else str(default_out))
    runs = cfg.runs()
    hours = estimate_hours(cfg, runs, seconds_per_chip)
    echo(f"{name}: {len(runs)} runs; estimated at most {hours:.0f} GPU hours "
         f"({seconds_per_chip:g} s per chip per epoch, the recipes' max epochs; set "
         "--seconds-per-chip for your hardware)")
    if dry_run:
        return 0
    results = run_sweep(cfg, runs, max_epochs=max_epochs, echo=echo)
    # published numbers beside the measured ones, and a HYPERVIEW rank bound (shipped data)
    table = build_table(collect_runs(cfg.output), literature="study", leaderboard="hyperview1")
    out = Path(cfg.output)
    (out / "table1.md").write_text(table.render("md") + "\n")
    (out / "table1.tex").write_text(table.render("latex") + "\n")
    echo(table.render("md"))
    files = make_figures(cfg.output)
    echo(f"table: {out / 'table1.md'}; {len(files)} figure files in {out / 'figures'}")
    return 1 if any(r.status == "failed" for r in results) else 0
