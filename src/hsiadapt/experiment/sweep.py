"""Running a whole grid: ``run_sweep`` (locally, or through a launcher), with progress and ETA.

At start-up the output folder must be writable (:func:`~.storage.check_writable`) and the
leftovers of killed processes are removed (:func:`~.storage.clean_leftovers`). A run another
process is training is skipped ("running elsewhere"). SIGTERM / Ctrl-C stop the sweep after
saying which run was interrupted (:mod:`.signals`); a failing output storage stops it with a
one-line :class:`~.storage.StorageError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from hsiadapt.experiment import signals
from hsiadapt.experiment._ranges import check_max_epochs
from hsiadapt.experiment.config import ExperimentConfig, RunSpec
from hsiadapt.experiment.fingerprint import SUPERSEDED, clear_cache
from hsiadapt.experiment.launch import launch_submitit
from hsiadapt.experiment.record import folder_problem, read_record
from hsiadapt.experiment.run import RUNNING_ELSEWHERE, RunResult, reusable, run_one
from hsiadapt.experiment.storage import (
    StorageError,
    check_writable,
    clean_leftovers,
    clean_tmpdir_checkpoints,
)

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


def _release_memory() -> None:
    """Between runs: collect the finished run's objects and hand freed heap pages back to the
    system (glibc keeps them otherwise, and a long sweep's footprint creeps up). What survives
    (modules, kept data) is then frozen out of later collections, which otherwise walked every
    object the imports made, each time (0.4-0.6 s a run here)."""
    import ctypes
    import gc

    gc.collect()
    gc.freeze()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _undefined_note(test: dict[str, float]) -> str:
    from hsiadapt.models.metrics import undefined_classes

    gone = undefined_classes(test)
    if not gone:
        return ""
    n = int(test.get("miou_classes", 0))
    return (f" ({', '.join(gone)}: no pixel in the test split nor in the prediction, IoU "
            f"undefined; miou is over the other {n} classes)")


def run_sweep(cfg: ExperimentConfig, runs: Sequence[RunSpec], *, force: bool = False,
              max_epochs: int | None = None,
              echo: Callable[[str], None] = print) -> list[RunResult]:
    """Run ``runs`` with the config's launcher, printing progress with an ETA.

    Raises:
        StorageError: the output folder is not writable, or filled up during a run.
        Interrupted: SIGTERM or SIGINT; the run in progress resumes on re-run.
    """
    check_max_epochs(max_epochs, "max_epochs")
    out = Path(cfg.output)
    clear_cache()
    check_writable(out)
    clean_leftovers(out)
    clean_tmpdir_checkpoints()
    quiet_lightning()
    stale = cfg.launcher.stale_lock_min * 60.0
    if cfg.launcher.type != "local":
        return launch_submitit(cfg, runs, force=force, max_epochs=max_epochs, echo=echo)
    results: list[RunResult] = []
    durations: list[float] = []
    todo = []
    for r in runs:
        broken = not force and folder_problem(out / r.run_id) is not None  # run_one reports it
        ok, why = (False, None) if force or broken else reusable(r, out / r.run_id)
        if not ok:
            todo.append(r)
        if why:
            echo(f"{r.run_id}: finished under other settings ({why}): it will run again and "
                 f"the old result move to {out / SUPERSEDED}")
    echo(f"{cfg.name}: {len(runs)} runs, {len(runs) - len(todo)} already finished, "
         f"{len(todo)} to do -> {out}")
    done = 0
    with signals.stop_signals():
        for spec in runs:
            if spec not in todo:
                results.append(RunResult(spec.run_id, "skipped", 0.0,
                                         read_record(out / spec.run_id)))
                continue
            signals.check()
            try:
                res = run_one(spec, out, force=force, max_epochs=max_epochs, stale_lock_s=stale)
            except signals.Interrupted as err:
                echo(f"{err.name}: stopped during {spec.run_id} ({err.detail}); "
                     f"{len(todo) - done - 1} runs not started")
                raise
            done += 1
            _release_memory()
            if res.status not in (RUNNING_ELSEWHERE, "skipped"):
                durations.append(res.seconds)
            eta = sum(durations) / max(len(durations), 1) * (len(todo) - done)
            extra = ""
            if res.status == "failed":
                extra = f" - {res.error[:200]}"
            elif res.status == RUNNING_ELSEWHERE:
                extra = f" ({res.note})"
            elif res.record is not None and res.record.value() is not None:
                extra = f" - test {res.record.primary()[0]} {res.record.value():.4f}"
                extra += _undefined_note(res.record.test)
            took = "" if res.status == RUNNING_ELSEWHERE else f" in {res.seconds:.1f} s"
            echo(f"[{done}/{len(todo)}] {spec.run_id}: {res.status}{took}{extra}; "
                 f"ETA {_fmt_eta(eta)}")
            results.append(res)
            if res.stop:
                raise StorageError(f"{res.stop}; sweep stopped, {len(todo) - done} runs not "
                                   "started")
    return results
