"""Classical baselines beside a config's deep runs (``baselines:`` in the config).

For each task of the grid, each listed baseline that fits the task's type
(:mod:`.baseline_spec`) runs on the spectra as the dataset delivers them (``full``) and on the
output of each of the task's *fixed* adapters (``select``, ``srf``: the bands the deep model
sees), with the same dataset, dataset arguments, band table, adapter arguments and target
sensor as the deep runs (:func:`~.plan.plan_run` of one of them): fitted on the training split,
scored on the test split with the deep runs' metrics (:mod:`hsiadapt.models.classical`).
The random forest runs once per seed of the grid; LDA, ridge and PLS once (the first seed).

Each baseline x bands x seed is recorded like a run, in
``<output>/baselines/<task>__<row>__seed<N>/metrics.json`` (:mod:`.record`; ``row`` is ``lda``
on the full spectra, ``lda.srf`` on the ``srf`` adapter's bands), written atomically. A
finished baseline whose fingerprint (its settings, the data's fingerprint and the hsiadapt
version) still matches is skipped on re-run; one whose fingerprint changed is moved aside
(``_superseded/``) and run again. ``hsiadapt table`` and ``results.csv`` show them as rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from hsiadapt.experiment.baseline_job import BaselineJob, fit_and_score
from hsiadapt.experiment.baseline_spec import task_baselines
from hsiadapt.experiment.config import ExperimentConfig, RunSpec
from hsiadapt.experiment.fingerprint import SUPERSEDED, supersede
from hsiadapt.experiment.plan import fixed_adapter
from hsiadapt.experiment.record import RunRecord, read_record, write_record
from hsiadapt.models.classical import seeds_for

__all__ = ["FOLDER", "BaselineJob", "baseline_jobs", "run_baselines"]

#: the output's subfolder that holds the baselines' records
FOLDER = "baselines"


def baseline_jobs(cfg: ExperimentConfig, runs: Sequence[RunSpec]) -> list[BaselineJob]:
    """The baselines that go with ``runs`` (the grid, or the part ``--only`` selected): for each
    of their tasks, the full spectra and each fixed adapter they use, with their seeds."""
    jobs = []
    for task in dict.fromkeys(r.task.name for r in runs):
        mine = [r for r in runs if r.task.name == task]
        names = task_baselines(cfg.baselines, mine[0].task.recipe_obj().task)
        seeds = tuple(dict.fromkeys(r.seed for r in mine))
        bands: dict[str, RunSpec] = {"full": mine[0]}
        for r in mine:
            if fixed_adapter(r.adapter.input_mode):
                bands.setdefault(r.adapter.name, r)
        for b, spec in bands.items():
            for name in names:
                jobs += [BaselineJob(name, b, s, spec) for s in seeds_for(name, seeds)]
    return jobs


def _todo(job: BaselineJob, out: Path, force: bool,
          echo: Callable[[str], None]) -> RunRecord | None:
    """The job's finished record when it can be reused; else ``None`` (it runs), after moving a
    record made under other settings aside."""
    folder = out / FOLDER / job.run_id
    try:
        rec = read_record(folder)
    except Exception:  # damaged or from a newer hsiadapt: run it again
        rec = None
    if rec is None or not rec.finished or force:
        return None
    if rec.fingerprint == job.fingerprint():
        return rec
    echo(f"baseline {job.run_id}: finished under other settings: it will run again and the old "
         f"result move to {out / FOLDER / SUPERSEDED}")
    supersede(folder)
    return None


def run_baselines(cfg: ExperimentConfig, runs: Sequence[RunSpec], *, force: bool = False,
                  echo: Callable[[str], None] = print) -> list[RunRecord]:
    """Run (or reuse) the baselines that go with ``runs``; returns their records."""
    out = Path(cfg.output)
    jobs = baseline_jobs(cfg, runs)
    if not jobs:
        return []
    records: dict[str, RunRecord] = {}
    todo: list[BaselineJob] = []
    for job in jobs:
        rec = _todo(job, out, force, echo)
        if rec is not None:
            records[job.run_id] = rec
        else:
            todo.append(job)
    echo(f"{cfg.name}: {len(jobs)} classical baselines, {len(jobs) - len(todo)} already "
         f"finished, {len(todo)} to do -> {out / FOLDER}")
    groups: dict[tuple[str, str], list[BaselineJob]] = {}
    for job in todo:
        groups.setdefault((job.spec.task.name, job.bands), []).append(job)
    for group in groups.values():
        t0 = time.time()
        try:
            made = fit_and_score(group)
        except Exception as err:  # a bad band table, an uncovered band...: recorded, not fatal
            made = {j.run_id: _failed(j, f"{type(err).__name__}: {err}") for j in group}
        for job in group:
            rec = made[job.run_id]
            rec.fingerprint = job.fingerprint()
            rec.seconds = rec.seconds or (time.time() - t0) / len(group)
            write_record(out / FOLDER / job.run_id, rec)
            records[job.run_id] = rec
            v = rec.value()
            echo(f"baseline {job.run_id}: {rec.status} in {rec.seconds:.1f} s"
                 + (f" - test {rec.primary()[0]} {v:.4f}" if v is not None else
                    f" - {rec.error}" if rec.error else ""))
    return [records[j.run_id] for j in jobs]


def _failed(job: BaselineJob, error: str) -> RunRecord:
    return RunRecord(run_id=job.run_id, status="failed", task=job.spec.task.name,
                     dataset=job.spec.task.dataset, adapter=job.bands, backbone=job.name,
                     model=job.name, seed=job.seed, weights="none", error=error,
                     baseline={"name": job.name, "bands": job.bands, "row": job.row})
