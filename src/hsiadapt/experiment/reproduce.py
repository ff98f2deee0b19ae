"""``hsiadapt reproduce table1``: run + table + figures for the study, with a cost estimate.

The estimate (:mod:`hsiadapt.experiment.cost`) counts the grid's chip-steps and prices them with
a throughput the user measured (``benchmarks/gpu.py``, ``--throughput FILE``) or gives
(``--chips-per-second``); without one it prints the chip-steps and how to measure.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hsiadapt._atomic import atomic_write_text
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.cost import estimate_cost, read_throughput

__all__ = ["find_config", "reproduce", "throughput_from"]

def find_config(name: str) -> Path:
    """``configs/<name>.yaml`` in the working directory or the hsiadapt source tree."""
    for base in (Path.cwd() / "configs", Path(__file__).resolve().parents[3] / "configs"):
        p = base / f"{name}.yaml"
        if p.is_file():
            return p
    raise FileNotFoundError(f"no configs/{name}.yaml here or in the hsiadapt source tree")


def throughput_from(chips_per_second: float | None,
                    throughput_file: str | None) -> tuple[float | None, str]:
    """The training throughput to price a grid with: ``--chips-per-second`` or the JSON line of
    ``benchmarks/gpu.py`` (``--throughput FILE``); ``(None, "")`` without either."""
    if chips_per_second is not None and throughput_file is not None:
        raise ValueError("give --chips-per-second or --throughput, not both")
    if chips_per_second is not None:
        if chips_per_second <= 0:
            raise ValueError(f"--chips-per-second must be positive, got {chips_per_second}")
        return chips_per_second, "given with --chips-per-second"
    if throughput_file is not None:
        return read_throughput(throughput_file)
    return None, ""


def reproduce(name: str, data_root: str, *, output: str | None = None,
              chips_per_second: float | None = None, throughput: str | None = None,
              dry_run: bool = False,
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
    rate, source = throughput_from(chips_per_second, throughput)
    echo(estimate_cost(runs, cfg.output).describe(name, rate, source))
    if dry_run:
        return 0
    results = run_sweep(cfg, runs, max_epochs=max_epochs, echo=echo)
    # published numbers beside the measured ones, and a HYPERVIEW rank bound (shipped data)
    table = build_table(collect_runs(cfg.output), literature="study", leaderboard="hyperview1")
    out = Path(cfg.output)
    atomic_write_text(out / "table1.md", table.render("md") + "\n")
    atomic_write_text(out / "table1.tex", table.render("latex") + "\n")
    echo(table.render("md"))
    files = make_figures(cfg.output)
    echo(f"table: {out / 'table1.md'}; {len(files)} figure files in {out / 'figures'}")
    return 1 if any(r.status == "failed" for r in results) else 0
