"""Running one grid cell: ``run_one``.

Each run has its own folder ``<output>/<run_id>/`` - the folder tree is the results database
(its schema: :mod:`hsiadapt.experiment.record`):

* ``resolved_config.yaml``: everything the run used (recipe included), written first;
* ``metrics.json``: the :class:`~hsiadapt.experiment.record.RunRecord` - status, test and
  best-validation metrics, epochs, seconds, hardware, package versions, precision, the weights'
  origin (``hf`` / ``ckpt:...`` / ``random``);
* ``checkpoints/``: ``last.ckpt`` (resume: the full training state, random generators included,
  so a resumed run gives the numbers of an uninterrupted one on CPU) and the best one (test);
* ``logs/``: per-epoch CSV (and TensorBoard / W&B / MLflow when asked for and installed);
* ``stats.json``: the normalisation statistics used; ``samples.npz``: a few test predictions
  (for figures); ``predictions.csv`` for regression.

Every file is written atomically (temporary name, then rename), checkpoints included
(:mod:`.checkpoint`). A finished run is skipped on re-run; a run killed mid-way restarts from
``last.ckpt`` (or, when that does not load, from the best checkpoint or from scratch, saying so);
a run that raises is recorded as failed with its error, and the sweep goes on - unless the
output storage failed (:mod:`.storage`), which stops the sweep. A run is claimed with a lock
(:mod:`.lock`), so sweeps sharing an output folder train each run once; a stop signal leaves the
run unrecorded and resumable (:mod:`.signals`).
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hsiadapt._atomic import atomic_write_text
from hsiadapt.experiment import signals
from hsiadapt.experiment.config import RunSpec
from hsiadapt.experiment.fingerprint import run_fingerprint, stale_reason, supersede
from hsiadapt.experiment.lock import STALE_AFTER_S, RunLock
from hsiadapt.experiment.plan import RunPlan, build_run, check_splits, plan_run, run_precision
from hsiadapt.experiment.record import (
    CONFIG_FILE,
    RECORD_FILE,
    RunRecord,
    folder_problem,
    read_record,
    run_status,
    write_record,
)
from hsiadapt.experiment.scoring import score_test
from hsiadapt.experiment.storage import check_free_space, storage_error
from hsiadapt.models.precision import apply_precision

__all__ = ["RUNNING_ELSEWHERE", "RunResult", "atomic_write", "run_one"]

log = logging.getLogger(__name__)


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    atomic_write_text(path, text)


#: status of a run another process is training (its lock is live)
RUNNING_ELSEWHERE = "running elsewhere"


@dataclass
class RunResult:
    run_id: str
    status: str  # finished / failed / skipped / running elsewhere
    seconds: float
    record: RunRecord | None
    #: why the sweep must stop after this run (the output storage failed), else None
    stop: str | None = None
    #: for a run running elsewhere: who holds it
    note: str = ""

    @property
    def error(self) -> str:
        return (self.record.error or "") if self.record is not None else self.note


def _global_rank() -> int:
    """This process's rank in a multi-process (DDP) run; only rank 0 claims the run."""
    for var in ("RANK", "SLURM_PROCID"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return int(os.environ.get("NODE_RANK", "0") or 0) + int(os.environ.get("LOCAL_RANK", "0") or 0)


def _reason(err: BaseException) -> str:
    """An error in one line (an OSError without its ``[Errno N]`` prefix)."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror + (f": {err.filename}" if err.filename else "")
    return str(err)


def run_one(spec: RunSpec, output: str | Path, *, force: bool = False,
            max_epochs: int | None = None, stale_lock_s: float = STALE_AFTER_S) -> RunResult:
    """Train, select the best checkpoint, test, and record one run (see the module docstring).

    Never raises for a failure inside the run: the error is recorded in ``metrics.json``. Raises
    :class:`~hsiadapt.experiment.signals.Interrupted` when the process is asked to stop (the run
    stays unrecorded, to resume from its last checkpoint).

    Args:
        stale_lock_s: seconds without a heartbeat after which another host's claim on the run
            is taken over.
    """
    run_dir = Path(output) / spec.run_id
    problem = None if force else folder_problem(run_dir)
    if problem is not None:  # damaged by hand or by a disk: say so, leave it, go on
        log.error("%s: %s", spec.run_id, problem)
        return RunResult(spec.run_id, "failed", 0.0, None, note=problem)
    plan = _plan(spec)
    if not force and reusable(spec, run_dir, plan)[0]:
        return RunResult(spec.run_id, "skipped", 0.0, read_record(run_dir))
    lock = RunLock(run_dir, stale_lock_s)
    try:
        claimed = _global_rank() != 0 or lock.acquire()
    except OSError as err:  # the output folder went read-only, or full
        why = f"cannot claim {run_dir} ({_reason(err)})"
        return RunResult(spec.run_id, "failed", 0.0, None, note=why,
                         stop=why if storage_error(err, output) else None)
    if not claimed:
        log.info("%s: running elsewhere (%s); skipped", spec.run_id, lock.describe())
        return RunResult(spec.run_id, RUNNING_ELSEWHERE, 0.0, None, note=lock.describe())
    try:
        note = ""
        if not force:
            ok, stale = reusable(spec, run_dir, plan)
            if ok:  # finished while we looked
                return RunResult(spec.run_id, "skipped", 0.0, read_record(run_dir))
            if stale is not None:  # finished under other settings: never shown as new
                lock.release()
                moved = supersede(run_dir)
                note = f"re-run: {stale}; the previous result is in {moved}"
                log.warning("%s: %s", spec.run_id, note)
                if not lock.acquire():
                    return RunResult(spec.run_id, RUNNING_ELSEWHERE, 0.0, None,
                                     note=lock.describe())
        res = _train(spec, plan, run_dir, force=force, max_epochs=max_epochs)
        res.note = res.note or note
        return res
    finally:
        lock.release()


def _check_finite(task: Any, test: dict[str, Any], best_val: Any) -> None:
    """A run whose numbers are NaN (no labelled pixel, every label unknown, a diverged loss) is
    a failed run, never a finished one."""
    import math

    metric = task.primary[0]
    value = test.get(f"test/{metric}")
    if value is None or not math.isfinite(float(value)):
        raise RuntimeError(
            f"test {metric} is {value}: nothing scorable in the test split, or the model "
            "diverged (NaN loss). Check the labels with `hsiadapt data check` (every mask code "
            "unknown or ignored?) and the learning rate")
    if best_val is not None and not math.isfinite(float(best_val)):
        raise RuntimeError(f"the monitored validation value is {float(best_val)}: the loss "
                           "diverged or the validation split has nothing scorable")


def _plan(spec: RunSpec) -> RunPlan | Exception:
    """The run's plan, made once per run; a run that cannot be planned gets the error, which
    is recorded as its failure."""
    try:
        return plan_run(spec, precision=run_precision(spec))
    except Exception as err:
        return err


def reusable(spec: RunSpec, run_dir: Path,
             plan: RunPlan | Exception | None = None) -> tuple[bool, str | None]:
    """``(True, None)`` for a finished run whose result still belongs to ``spec``; ``(False,
    why)`` for a finished one whose settings, data or files changed; ``(False, None)``
    otherwise. ``plan``: the run's plan when the caller has it (else it is made here, and only
    for a finished run)."""
    if run_status(run_dir) != "finished":
        return False, None
    rec = read_record(run_dir)
    if rec is None:
        return False, None
    if plan is None:
        plan = plan_run(spec)
    if isinstance(plan, Exception):
        raise plan
    why = stale_reason(plan, rec, run_dir)
    return why is None, why


def _prepare(spec: RunSpec, run_dir: Path, force: bool) -> None:
    """Write the resolved config; drop what a forced re-run or a changed config invalidates."""
    cfg_path = run_dir / CONFIG_FILE
    ckpt_dir = run_dir / "checkpoints"
    if force:
        for p in ckpt_dir.glob("*.ckpt"):
            p.unlink()
    elif cfg_path.exists():
        old = yaml.safe_load(cfg_path.read_text()) or {}
        if old.get("digest") != spec.digest() and any(ckpt_dir.glob("*.ckpt")):
            log.warning("%s: configuration changed since the checkpoint was written; starting "
                        "over", spec.run_id)
            for p in ckpt_dir.glob("*.ckpt"):
                p.unlink()
    atomic_write(cfg_path, yaml.safe_dump({**spec.to_dict(), "digest": spec.digest()},
                                          sort_keys=False))
    (run_dir / RECORD_FILE).unlink(missing_ok=True)


def _train(spec: RunSpec, plan: RunPlan | Exception, run_dir: Path, *, force: bool,
           max_epochs: int | None) -> RunResult:
    """Build, fit, test and record a run; a failure is recorded (see :func:`run_one`)."""
    ckpt_dir = run_dir / "checkpoints"
    last = ckpt_dir / "last.ckpt"
    t0 = time.time()
    rank0 = _global_rank() == 0  # in a multi-process run only rank 0 writes the run folder
    resumed: dict[str, Any] = {"resumed_from_checkpoint": False, "resume_note": None}
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        if rank0:
            _prepare(spec, run_dir, force)
        if isinstance(plan, Exception):  # a run that cannot be planned: recorded as failed
            raise plan
        record = _fit_and_test(plan, run_dir, t0, rank0, resumed, max_epochs)
        if record is None:  # another rank of a multi-process run: rank 0 records it
            return RunResult(spec.run_id, "finished", round(time.time() - t0, 2), None)
        write_record(run_dir, record)
    except (KeyboardInterrupt, SystemExit) as err:  # a stop signal: unrecorded, resumable
        kept = f"resumes from {last.name} on re-run" if last.exists() else \
            "no checkpoint yet: starts over on re-run"
        raise signals.as_interrupted(err, spec.run_id, kept) from None
    except Exception as err:  # recorded, never fatal for the sweep (but for a failing disk)
        return _record_failure(spec, run_dir, err, round(time.time() - t0, 2), rank0, resumed)
    return RunResult(spec.run_id, record.status, record.seconds, record)


def _fit_and_test(plan: RunPlan, run_dir: Path, t0: float, rank0: bool,
                  resumed: dict[str, Any], max_epochs: int | None) -> RunRecord | None:
    """Fit and test a planned run, save its outputs; its record (``None`` on a rank other than
    0). ``resumed`` is filled in as soon as the checkpoint to resume from is chosen."""
    import lightning as L
    import torch

    from hsiadapt.experiment.checkpoint import RESUME_CANDIDATES, choose_resume
    from hsiadapt.experiment.outputs import (
        save_regression_predictions,
        save_samples,
        slim_checkpoints,
    )
    from hsiadapt.experiment.trainer import make_trainer

    spec, recipe, precision = plan.spec, plan.recipe, plan.precision
    ckpt_dir = run_dir / "checkpoints"
    last = ckpt_dir / "last.ckpt"
    fingerprint = run_fingerprint(plan)  # taken before training: what the result came from
    L.seed_everything(spec.seed, workers=True, verbose=False)
    built = build_run(plan, run_dir)
    dm, task = built.datamodule, built.task
    check_splits(dm)
    check_free_space(run_dir.parent, sum(p.numel() for p in task.parameters()),
                     have=sum(p.stat().st_size for p in ckpt_dir.glob("*.ckpt")))
    if dm.statistics is not None and rank0:
        atomic_write(run_dir / "stats.json", dm.statistics.to_json())
    matmul = apply_precision(precision)  # after every import a run makes (terratorch's lowers it)
    rt = make_trainer(spec, recipe, run_dir, task.monitor, precision=precision,
                      max_epochs=max_epochs)
    weights_only_best = spec.trainer.best_checkpoint == "weights"
    resume, note = choose_resume(
        ckpt_dir, ("last.ckpt",) if weights_only_best else RESUME_CANDIDATES, spec.digest())
    resumed.update(resumed_from_checkpoint=resume is not None, resume_note=note)
    signals.check()  # a stop asked for while the run was being built
    with signals.deferred():
        rt.trainer.fit(task, dm, ckpt_path=str(resume) if resume else None, weights_only=True)
        signals.check()
        best: str | None = rt.best.best_model_path
        if recipe.test_checkpoint == "last" or not best or not Path(best).exists():
            best = str(last) if last.exists() else None  # the checkpoint tested
        if "test" not in dm.splits:
            raise RuntimeError("the dataset has no test split to score")
        rt.trainer.test(task, dm, ckpt_path=best, weights_only=True, verbose=False)
        signals.check()
        test, scoring = score_test(task, dm, spec.task.dataset, rank0)
        _check_finite(task, test, rt.best.best_model_score)
        if torch.get_float32_matmul_precision() != matmul:
            raise RuntimeError(
                f"the float32 matmul precision changed during the run (set {matmul!r}, now "
                f"{torch.get_float32_matmul_precision()!r}): a library imported mid-run "
                "changed it, so the run's numbers are not at the precision it records")
        if not rank0:
            return None
        if recipe.task == "regression":
            save_regression_predictions(task, dm, run_dir)
        else:
            save_samples(task, dm, run_dir)
        slim_checkpoints(ckpt_dir, best)
    primary, direction = task.primary
    best_val = rt.best.best_model_score
    return RunRecord.completed(
        spec, data=dm, weights=task.model.backbone_info.pretrained, fingerprint=fingerprint,
        test={k.removeprefix("test/"): v for k, v in test.items()},
        primary_metric=primary, direction="min" if direction == "min" else "max",
        monitor=rt.monitor, monitor_mode=rt.mode,
        best_val=float(best_val) if best_val is not None else None,
        epochs=int(rt.trainer.current_epoch), seconds=round(time.time() - t0, 2),
        precision=precision, float32_matmul_precision=matmul, test_scoring=scoring, **resumed)


def _record_failure(spec: RunSpec, run_dir: Path, err: Exception, seconds: float, rank0: bool,
                    resumed: dict[str, Any]) -> RunResult:
    """Record a run's failure (never over a finished record); a failing disk stops the sweep."""
    stop = (f"{spec.run_id} failed: {_reason(err)}" if storage_error(err, run_dir.parent)
            else None)
    record = RunRecord.failure(spec, f"{type(err).__name__}: {_reason(err)}",
                               traceback=traceback.format_exc(limit=20), seconds=seconds,
                               **resumed)
    if not rank0:
        log.error("%s (rank %d): %s", spec.run_id, _global_rank(), record.error)
        return RunResult(spec.run_id, "failed", record.seconds, record)
    if run_status(run_dir) == "finished":  # never overwrite a finished record
        log.warning("%s: failed (%s) but a finished record is there; keeping it",
                    spec.run_id, record.error)
        return RunResult(spec.run_id, "skipped", record.seconds, read_record(run_dir))
    try:
        write_record(run_dir, record)
    except OSError as werr:
        log.error("%s: could not record the failure (%s)", spec.run_id, werr)
        stop = stop or f"{spec.run_id}: cannot write to the output folder ({werr})"
    return RunResult(spec.run_id, "failed", record.seconds, record, stop=stop)
