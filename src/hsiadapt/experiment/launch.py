"""Spreading a grid over processes or a SLURM cluster with submitit.

``submitit-local`` runs each grid cell in its own subprocess on this machine (what the tests
use); ``slurm`` submits them to a SLURM cluster (``launcher.slurm`` holds the executor
parameters: partition, gpus_per_node, timeout_min, ...). Within a run, Lightning handles
multi-GPU / multi-node DDP (``trainer.devices``, ``num_nodes``, ``strategy``).

Each job is a :class:`RunJob`, which follows submitit's checkpointing protocol (it has a
``checkpoint`` method, so submitit requeues it): a job that is pre-empted - SIGTERM, or
submitit's pre-emption / time-out signal (``SIGUSR2`` unless ``SUBMITIT_PREEMPT_SIGNAL`` says
otherwise) - stops its run at the next batch, leaves it unrecorded with its last checkpoint, and
is requeued; the requeued job resumes the run from that checkpoint.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hsiadapt.experiment import signals
from hsiadapt.experiment.config import ExperimentConfig, RunSpec
from hsiadapt.experiment.execution import control_characters
from hsiadapt.experiment.record import RecordError, folder_problem, read_record
from hsiadapt.experiment.run import RUNNING_ELSEWHERE, RunResult, reusable, run_one

__all__ = ["RunJob", "launch_submitit"]


def _preempt_signal() -> signal.Signals:
    """submitit's pre-emption / time-out signal (its ``SUBMITIT_PREEMPT_SIGNAL``, default USR2)."""
    name = os.environ.get("SUBMITIT_PREEMPT_SIGNAL", "USR2")
    return getattr(signal, "SIG" + name, signal.SIGUSR2)


class RunJob:
    """One grid cell as a submitit job, checkpointable (module docstring)."""

    def __call__(self, spec: RunSpec, output: str, force: bool, max_epochs: int | None,
                 stale_lock_s: float = 3600.0) -> dict:
        usr = _preempt_signal()
        submitit_handler = signal.getsignal(usr)
        try:
            with signals.stop_signals():
                if usr != signal.SIGTERM:  # stop the run the way SIGTERM does, then requeue
                    signal.signal(usr, lambda s, f: os.kill(os.getpid(), signal.SIGTERM))
                res = run_one(spec, output, force=force, max_epochs=max_epochs,
                              stale_lock_s=stale_lock_s)
        except signals.Interrupted:
            if not callable(submitit_handler):  # not a submitit job: nothing to requeue
                raise
            # the run is unrecorded, its last checkpoint kept: submitit calls checkpoint() and
            # requeues this job (a local job exits with its requeue code, SLURM's is requeued)
            signal.signal(usr, submitit_handler)
            os.kill(os.getpid(), usr)
            raise  # not reached when submitit requeues
        finally:
            if callable(submitit_handler) and signal.getsignal(usr) is not submitit_handler:
                signal.signal(usr, submitit_handler)
        return {"run_id": res.run_id, "status": res.status, "seconds": res.seconds}

    def checkpoint(self, *args: Any, **kwargs: Any) -> Any:
        """submitit's hook on pre-emption: run this job again with the same arguments (the run
        resumes from its last checkpoint)."""
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(RunJob(), *args, **kwargs)


def _local_gpus(cfg: ExperimentConfig, todo: Sequence[RunSpec], folder: Path, force: bool,
                max_epochs: int | None, echo: Callable[[str], None]) -> list:
    """One job per GPU at a time, round robin, each seeing only its GPU."""
    import submitit

    gpus = list(cfg.launcher.gpus)
    if not gpus:
        import torch

        gpus = list(range(torch.cuda.device_count()))
    if not gpus:
        raise RuntimeError("launcher local-gpus: no GPU visible; list them in launcher.gpus or "
                           "use launcher type local")
    running: list = []
    jobs = []
    for i, spec in enumerate(todo):
        if len(running) >= len(gpus):
            running.pop(0).wait()
        gpu = gpus[i % len(gpus)]
        ex = submitit.LocalExecutor(folder=folder)
        ex.update_parameters(timeout_min=int(cfg.launcher.slurm.get("timeout_min", 600)),
                             gpus_per_node=1, visible_gpus=[gpu])
        job = ex.submit(RunJob(), spec, str(cfg.output), force, max_epochs,
                        cfg.launcher.stale_lock_min * 60.0)
        echo(f"{spec.run_id}: submitted on GPU {gpu}")
        running.append(job)
        jobs.append((spec, job))
    return jobs


def launch_submitit(cfg: ExperimentConfig, runs: Sequence[RunSpec], *, force: bool = False,
                    max_epochs: int | None = None,
                    echo: Callable[[str], None] = print) -> list[RunResult]:
    import submitit

    out = Path(cfg.output)
    unsafe = control_characters(str(out), "the output folder")
    if unsafe:  # submitit writes the log paths into the sbatch script
        raise ValueError(unsafe)
    todo = [r for r in runs if force or folder_problem(out / r.run_id) is not None
            or not reusable(r, out / r.run_id)[0]]
    echo(f"{cfg.name}: {len(runs)} runs, {len(todo)} to submit ({cfg.launcher.type})")
    folder = out / "_submitit" / "%j"
    jobs = []
    if cfg.launcher.type == "local-gpus":
        jobs = _local_gpus(cfg, todo, folder, force, max_epochs, echo)
    else:
        if cfg.launcher.type == "slurm":
            ex = submitit.AutoExecutor(folder=folder, cluster="slurm")
            ex.update_parameters(**cfg.launcher.slurm)
        else:
            ex = submitit.AutoExecutor(folder=folder, cluster="local")
            ex.update_parameters(timeout_min=int(cfg.launcher.slurm.get("timeout_min", 60)))
        for spec in todo:
            jobs.append((spec, ex.submit(RunJob(), spec, str(out), force, max_epochs,
                                         cfg.launcher.stale_lock_min * 60.0)))
    results = []
    for i, (spec, job) in enumerate(jobs, 1):
        status = None
        try:
            r = job.result()
            status = r["status"]
            echo(f"[{i}/{len(jobs)}] {spec.run_id}: {r['status']} in {r['seconds']:.1f} s")
        except Exception as err:  # the job itself died (killed, out of memory, ...)
            echo(f"[{i}/{len(jobs)}] {spec.run_id}: job error {type(err).__name__}: {err}")
        try:
            rec = read_record(out / spec.run_id)
        except RecordError as err:  # a damaged folder: failed, with the reason
            results.append(RunResult(spec.run_id, "failed", 0.0, None, note=str(err)))
            continue
        if status == RUNNING_ELSEWHERE and (rec is None or not rec.finished):
            results.append(RunResult(spec.run_id, status, 0.0, rec))
            continue
        results.append(RunResult(spec.run_id, rec.status if rec else "failed",
                                 rec.seconds if rec else 0.0, rec))
    return results
