"""Running a whole grid: ``run_sweep`` (locally, or through a launcher), with progress and ETA."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from hsiadapt.experiment.config import ExperimentConfig, RunSpec
from hsiadapt.experiment.launch import launch_submitit
from hsiadapt.experiment.record import read_record, run_status
from hsiadapt.experiment.run import RunResult, run_one

__all__ = ["quiet_lightning", "run_sweep"]


def quiet_lightning() -> None:
    """Keep Lightning's start-up chatter (accelerator lines, tips) out of sweep output."""
    import warnings

    import lightning.pytorch  # noqa: F401  (its import sets its logger to INFO; override after)

    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*treespec.*")
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*exists and is not empty.*")


def _fmt_eta(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def run_sweep(cfg: ExperimentConfig, runs: Sequence[RunSpec], *, force: bool = False,
              max_epochs: int | None = None,
              echo: Callable[[str], None] = print) -> list[RunResult]:
    """Run ``runs`` with the config's launcher, printing progress with an ETA."""
    out = Path(cfg.output)
    out.mkdir(parents=True, exist_ok=True)
    quiet_lightning()
    if cfg.launcher.type != "local":
        return launch_submitit(cfg, runs, force=force, max_epochs=max_epochs, echo=echo)
    results: list[RunResult] = []
    durations: list[float] = []
    todo = [r for r in runs if force or run_status(out / r.run_id) != "finished"]
    echo(f"{cfg.name}: {len(runs)} runs, {len(runs) - len(todo)} already finished, "
         f"{len(todo)} to do -> {out}")
    done = 0
    for spec in runs:
        if spec not in todo:
            results.append(RunResult(spec.run_id, "skipped", 0.0, read_record(out / spec.run_id)))
            continue
        res = run_one(spec, out, force=force, max_epochs=max_epochs)
        done += 1
        durations.append(res.seconds)
        eta = sum(durations) / len(durations) * (len(todo) - done)
        extra = ""
        if res.status == "failed":
            extra = f" - {res.error[:200]}"
        elif res.record is not None and res.record.value() is not None:
            extra = f" - test {res.record.primary()[0]} {res.record.value():.4f}"
        echo(f"[{done}/{len(todo)}] {spec.run_id}: {res.status} in {res.seconds:.1f} s{extra}; "
             f"ETA {_fmt_eta(eta)}")
        results.append(res)
    return results
