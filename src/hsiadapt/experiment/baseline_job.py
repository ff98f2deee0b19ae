"""One classical baseline of a config (:class:`BaselineJob`: a baseline on one task's band set
with one seed), and fitting and scoring a group of them (one task and band set: the data are
read once) into run records; :mod:`.baselines` decides which run and writes the records."""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from hsiadapt.experiment.config import RunSpec
from hsiadapt.experiment.fingerprint import data_fingerprint, hsiadapt_version
from hsiadapt.experiment.plan import plan_run
from hsiadapt.experiment.record import RunRecord
from hsiadapt.models.classical import (
    CLASSIFIERS,
    MAX_TRAIN_PIXELS,
    N_ESTIMATORS,
    REGRESSORS,
    field_means,
    make_classifier,
    make_regressor,
    score_classifiers,
    training_pixels,
)

__all__ = ["BaselineJob", "fit_and_score"]


@dataclass(frozen=True)
class BaselineJob:
    """One baseline on one band set of one task, with one seed. ``spec`` is a run of the grid
    on that task (and, for adapted bands, that adapter): its plan gives the data."""

    name: str
    bands: str  # "full", or the name of a fixed adapter of the config
    seed: int
    spec: RunSpec

    @property
    def row(self) -> str:
        """``lda`` on the full spectra, ``lda.srf`` on the ``srf`` adapter's bands."""
        return self.name if self.bands == "full" else f"{self.name}.{self.bands}"

    @property
    def run_id(self) -> str:
        return f"{self.spec.task.name}__{self.row}__seed{self.seed}"

    def settings(self) -> dict[str, Any]:
        """What determines the baseline's result, besides the data's content."""
        d = plan_run(self.spec).data
        full = self.bands == "full"
        return {"baseline": self.name, "bands": self.bands, "seed": self.seed,
                "dataset": d.dataset, "root": str(d.root), "dataset_args": d.dataset_args,
                "input_mode": None if full else d.adapter,
                "adapter_args": None if full else d.adapter_args,
                "target": None if full else d.target,
                "recipe_task": self.spec.task.recipe_obj().task,
                "regression_score": self.spec.task.recipe_obj().regression_score,
                "max_train_pixels": MAX_TRAIN_PIXELS, "n_estimators": N_ESTIMATORS}

    def fingerprint(self) -> dict[str, str]:
        payload = json.dumps(self.settings(), sort_keys=True, default=str)
        return {"config": hashlib.sha256(payload.encode()).hexdigest()[:16],
                "data": data_fingerprint(plan_run(self.spec).data), "hsiadapt": hsiadapt_version()}


def _data(job: BaselineJob) -> tuple[Any, Any, Any, Any]:
    """The job's train and test splits, its adapter (``None``: full spectra) and data plan."""
    from hsiadapt.adapters import build_adapter
    from hsiadapt.datasets import DATASETS

    d = plan_run(job.spec).data
    cls: Any = DATASETS.get(d.dataset)
    train = cls(d.root, "train", **d.dataset_args)
    test = cls(d.root, "test", **d.dataset_args)
    adapter = None
    if job.bands != "full":
        assert d.adapter is not None  # a fixed adapter (baseline_jobs chose it)
        adapter = build_adapter(d.adapter, train.bands, d.target, **d.adapter_args).eval()
    return train, test, adapter, d


def _record(job: BaselineJob, d: Any, train: Any, test: dict[str, float], seconds: float,
            info: dict[str, Any]) -> RunRecord:
    from hsiadapt.models.task import TASKS

    kind = job.spec.task.recipe_obj().task
    metric, direction = TASKS[kind].primary_for(job.spec.task.recipe_obj())
    return RunRecord(
        run_id=job.run_id, status="finished", task=job.spec.task.name, dataset=d.dataset,
        adapter=job.bands, input_mode="full" if job.bands == "full" else str(d.adapter),
        backbone=job.name, model=job.name, seed=job.seed, task_type=kind,
        test=test, primary_metric=metric, direction=direction,  # type: ignore[arg-type]
        seconds=seconds, adapter_args={} if job.bands == "full" else dict(d.adapter_args),
        classes=list(getattr(train, "classes", []) or []), target=d.target,
        source_bands=train.bands.to_dict(), weights="none",
        baseline={"name": job.name, "bands": job.bands, "row": job.row, **info})


def _classifiers(jobs: list[BaselineJob]) -> dict[str, RunRecord]:
    train, test, adapter, d = _data(jobs[0])
    fitted: dict[str, Any] = {}
    info: dict[str, dict[str, Any]] = {}
    took: dict[str, float] = {}
    pixels: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for job in jobs:
        t0 = time.time()
        if job.seed not in pixels:  # the same draw for every classifier of a seed
            rng = np.random.default_rng(job.seed)
            pixels[job.seed] = training_pixels(train, adapter, MAX_TRAIN_PIXELS, rng)
        x, y = pixels[job.seed]
        fitted[job.run_id] = make_classifier(job.name, job.seed, N_ESTIMATORS).fit(x, y)
        info[job.run_id] = {"train_pixels": len(y), "max_train_pixels": MAX_TRAIN_PIXELS,
                            **({"n_estimators": N_ESTIMATORS}
                               if job.name == "random_forest" else {})}
        took[job.run_id] = time.time() - t0
    t0 = time.time()
    scores = score_classifiers(fitted, test, adapter, list(train.classes))
    share = (time.time() - t0) / len(jobs)
    return {j.run_id: _record(j, d, train, scores[j.run_id], took[j.run_id] + share,
                              info[j.run_id]) for j in jobs}


def _regressors(jobs: list[BaselineJob]) -> dict[str, RunRecord]:
    from hsiadapt.models.metrics import hyperview_score, regression_scores

    t0 = time.time()
    train, test, adapter, d = _data(jobs[0])
    x, y = field_means(train, adapter)
    xt, yt = field_means(test, adapter)
    mean, _ = train.target_statistics()  # what the deep runs' score compares with
    targets = list(train.targets)
    out = {}
    for job in jobs:
        reg = make_regressor(job.name, x.shape[0], x.shape[1]).fit(x, y)
        pred = np.asarray(reg.predict(xt)).reshape(yt.shape)
        test_scores: dict[str, float] = dict(regression_scores(pred, yt, targets))
        try:
            test_scores.update(hyperview_score(pred, yt, np.asarray(mean), targets))
        except ValueError:
            test_scores["hyperview_score"] = math.nan
        out[job.run_id] = _record(job, d, train, test_scores, time.time() - t0,
                                  {"train_samples": int(x.shape[0])})
    return out


def fit_and_score(jobs: list[BaselineJob]) -> dict[str, RunRecord]:
    """Records for ``jobs`` (one task and band set), run id -> record."""
    if all(j.name in CLASSIFIERS for j in jobs):
        return _classifiers(jobs)
    if all(j.name in REGRESSORS for j in jobs):
        return _regressors(jobs)
    raise ValueError(f"a group mixes classifiers and regressors: {[j.name for j in jobs]}")
