"""Running one grid cell: ``run_one``.

Each run has its own folder ``<output>/<run_id>/`` - the folder tree is the results database
(its schema: :mod:`hsiadapt.experiment.record`):

* ``resolved_config.yaml``: everything the run used (recipe included), written first;
* ``metrics.json``: the :class:`~hsiadapt.experiment.record.RunRecord` - status, test and
  best-validation metrics, epochs, seconds, hardware, package versions, precision, the weights'
  origin (``hf`` / ``ckpt:...`` / ``random``);
* ``checkpoints/``: ``last.ckpt`` (resume) and the best one (test);
* ``logs/``: per-epoch CSV (and TensorBoard / W&B / MLflow when asked for and installed);
* ``stats.json``: the normalisation statistics used; ``samples.npz``: a few test predictions
  (for figures); ``predictions.csv`` for regression.

Every file is written atomically (temporary name, then rename). A finished run is skipped on
re-run; a run killed mid-way restarts from ``last.ckpt``; a run that raises is recorded as
failed with its error, and the sweep goes on.
"""

from __future__ import annotations

import logging
import os
import platform
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hsiadapt._atomic import atomic_write_text
from hsiadapt.experiment.config import RunSpec
from hsiadapt.experiment.plan import build_run, run_precision
from hsiadapt.experiment.record import (
    CONFIG_FILE,
    RECORD_FILE,
    RunRecord,
    read_record,
    run_status,
    write_record,
)
from hsiadapt.models.precision import apply_precision

__all__ = ["RunResult", "atomic_write", "run_one"]

log = logging.getLogger(__name__)


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    atomic_write_text(path, text)


@dataclass
class RunResult:
    run_id: str
    status: str  # finished / failed / skipped
    seconds: float
    record: RunRecord | None

    @property
    def error(self) -> str:
        return (self.record.error or "") if self.record is not None else ""


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("hsiadapt", "torch", "lightning", "terratorch", "torchgeo", "numpy", "pyrsr"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def _hardware() -> dict[str, Any]:
    import torch

    hw: dict[str, Any] = {"machine": platform.machine(), "cpus": os.cpu_count(),
                          "torch_threads": torch.get_num_threads(), "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        hw["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return hw


def _loggers(spec: RunSpec, run_dir: Path) -> list[Any]:
    from lightning.pytorch import loggers

    out: list[Any] = []
    for name in spec.trainer.logger:
        try:
            if name == "csv":
                out.append(loggers.CSVLogger(run_dir, name="logs"))  # version_N: a resume never overwrites
            elif name == "tensorboard":
                out.append(loggers.TensorBoardLogger(run_dir, name="logs_tb", version=""))
            elif name == "wandb":
                out.append(loggers.WandbLogger(project=spec.experiment, name=spec.run_id,
                                               save_dir=str(run_dir)))
            elif name == "mlflow":
                out.append(loggers.MLFlowLogger(experiment_name=spec.experiment,
                                                run_name=spec.run_id,
                                                save_dir=str(run_dir / "mlruns")))
        except (ImportError, ModuleNotFoundError) as err:
            log.warning("logger %s not available (%s); continuing without it", name, err)
    return out


def _progress_bar() -> bool:
    """Per-run progress bars on an interactive terminal (HSIADAPT_PROGRESS=1/0 forces it)."""
    import sys

    forced = os.environ.get("HSIADAPT_PROGRESS")
    if forced is not None:
        return forced not in ("", "0", "false", "no")
    return sys.stdout.isatty()


def _identity(spec: RunSpec) -> dict[str, Any]:
    return {"run_id": spec.run_id, "task": spec.task.name, "dataset": spec.task.dataset,
            "adapter": spec.adapter.name, "input_mode": spec.adapter.input_mode,
            "backbone": spec.backbone.name, "seed": spec.seed,
            "task_type": spec.task.recipe_obj().task, "digest": spec.digest()}


def run_one(spec: RunSpec, output: str | Path, *, force: bool = False,
            max_epochs: int | None = None) -> RunResult:
    """Train, select the best checkpoint, test, and record one run (see the module docstring).

    Never raises for a failure inside the run: the error is recorded in ``metrics.json``.
    """
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

    from hsiadapt.experiment.outputs import (
        save_regression_predictions,
        save_samples,
        slim_checkpoints,
    )

    run_dir = Path(output) / spec.run_id
    if run_status(run_dir) == "finished" and not force:
        return RunResult(spec.run_id, "skipped", 0.0, read_record(run_dir))
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg_path = run_dir / CONFIG_FILE
    ckpt_dir = run_dir / "checkpoints"
    last = ckpt_dir / "last.ckpt"
    if force:
        for p in ckpt_dir.glob("*.ckpt"):
            p.unlink()
        (run_dir / RECORD_FILE).unlink(missing_ok=True)
    elif cfg_path.exists():
        old = yaml.safe_load(cfg_path.read_text()) or {}
        if old.get("digest") != spec.digest() and last.exists():
            log.warning("%s: configuration changed since the checkpoint was written; starting "
                        "over", spec.run_id)
            last.unlink()
    atomic_write(cfg_path, yaml.safe_dump({**spec.to_dict(), "digest": spec.digest()},
                                          sort_keys=False))
    (run_dir / RECORD_FILE).unlink(missing_ok=True)
    t0 = time.time()
    try:
        L.seed_everything(spec.seed, workers=True, verbose=False)
        precision = run_precision(spec)
        built = build_run(spec, run_dir, precision=precision)
        dm, task, recipe = built.datamodule, built.task, built.plan.recipe
        if dm.statistics is not None:
            atomic_write(run_dir / "stats.json", dm.statistics.to_json())
        monitor, mode = task.monitor
        ckpt_cb = ModelCheckpoint(dirpath=ckpt_dir, filename="best", monitor=monitor, mode=mode,
                                  save_last=True, save_top_k=1, enable_version_counter=False)
        callbacks: list[Any] = [ckpt_cb, EarlyStopping(monitor=monitor, mode=mode,
                                                       patience=recipe.patience,
                                                       min_delta=recipe.min_delta)]
        matmul = apply_precision(precision)  # after every import a run makes (terratorch's lowers it)
        trainer = L.Trainer(
            accelerator=spec.trainer.accelerator, devices=spec.trainer.devices,
            num_nodes=spec.trainer.num_nodes, strategy=spec.trainer.strategy,
            precision=precision,  # type: ignore[arg-type]
            deterministic=spec.trainer.deterministic,  # type: ignore[arg-type]
            max_epochs=max_epochs if max_epochs is not None else recipe.max_epochs,
            limit_train_batches=recipe.limit_train_batches,
            limit_val_batches=recipe.limit_val_batches, callbacks=callbacks,
            logger=_loggers(spec, run_dir), enable_progress_bar=_progress_bar(),
            enable_model_summary=False, num_sanity_val_steps=0,
            log_every_n_steps=1, default_root_dir=run_dir)
        resume = str(last) if last.exists() else None
        trainer.fit(task, dm, ckpt_path=resume, weights_only=True)
        best = ckpt_cb.best_model_path or (str(last) if last.exists() else None)
        if "test" not in dm.splits:
            raise RuntimeError("the dataset has no test split to score")
        trainer.test(task, dm, ckpt_path=best, weights_only=True, verbose=False)
        test = dict(getattr(task, "last_metrics", {}))
        if torch.get_float32_matmul_precision() != matmul:
            raise RuntimeError(
                f"the float32 matmul precision changed during the run (set {matmul!r}, now "
                f"{torch.get_float32_matmul_precision()!r}): a library imported mid-run changed "
                "it, so the run's numbers are not at the precision it records")
        if recipe.task == "regression":
            save_regression_predictions(task, dm, run_dir)
        else:
            save_samples(task, dm, run_dir)
        slim_checkpoints(ckpt_dir, best)
        primary, direction = task.primary
        record = RunRecord(
            status="finished", **_identity(spec),
            test={k.removeprefix("test/"): v for k, v in test.items()},
            primary_metric=primary, direction="min" if direction == "min" else "max",
            monitor=monitor, monitor_mode=mode,
            best_val=float(ckpt_cb.best_model_score) if ckpt_cb.best_model_score is not None
            else None,
            epochs=int(trainer.current_epoch), seconds=round(time.time() - t0, 2),
            resumed_from_checkpoint=resume is not None,
            adapter_args=spec.adapter.args_for(spec.task.name),
            chip_px=int(dm.raw["train"][0]["image"].shape[-1]), target=spec.backbone.target,
            classes=list(dm.info.classes),
            class_codes=(dm.info.label_map.ordinal_codes()  # type: ignore[attr-defined]
                         if hasattr(dm.info, "label_map") else None),
            source_bands=dm.info.bands.to_dict(),
            weights=task.model.backbone_info.pretrained,
            pretrained=task.model.backbone_info.pretrained != "random",
            precision=precision, float32_matmul_precision=matmul,
            hardware=_hardware(), versions=_versions())
    except Exception as err:  # recorded, never fatal for the sweep
        record = RunRecord(status="failed", **_identity(spec),
                           error=f"{type(err).__name__}: {err}",
                           traceback=traceback.format_exc(limit=20),
                           seconds=round(time.time() - t0, 2))
    write_record(run_dir, record)
    return RunResult(spec.run_id, record.status, record.seconds, record)
