"""The Lightning trainer of one run: its callbacks (best and last checkpoints, early stopping,
the random generators' state), loggers, precision and checkpoint I/O."""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hsiadapt.experiment.config import RunSpec
from hsiadapt.models.recipes import Recipe

__all__ = ["RunTrainer", "make_trainer"]

log = logging.getLogger(__name__)


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
    forced = os.environ.get("HSIADAPT_PROGRESS")
    if forced is not None:
        return forced not in ("", "0", "false", "no")
    return sys.stdout.isatty()


@dataclass
class RunTrainer:
    """A run's trainer and the checkpoint callback that selects its best epoch."""

    trainer: Any  # lightning.Trainer
    best: Any  # the ModelCheckpoint monitoring the task's metric
    monitor: str
    mode: str


def make_trainer(spec: RunSpec, recipe: Recipe, run_dir: Path, monitor: tuple[str, str], *,
                 precision: str, max_epochs: int | None) -> RunTrainer:
    """The trainer of a run writing into ``run_dir`` (``monitor``: the task's ``(metric,
    mode)``; ``max_epochs`` overrides the recipe's)."""
    import lightning as L
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

    from hsiadapt.experiment.callbacks import RngState
    from hsiadapt.experiment.checkpoint import AtomicCheckpointIO, run_seal

    ckpt_dir = run_dir / "checkpoints"
    metric, mode = monitor
    best = ModelCheckpoint(dirpath=ckpt_dir, filename="best", monitor=metric, mode=mode,
                           save_top_k=1, enable_version_counter=False,
                           save_weights_only=spec.trainer.best_checkpoint == "weights")
    # last.ckpt after *every* epoch (Lightning's save_last writes it only when the best one
    # improved, so a kill after epochs without improvement lost them all)
    last = ModelCheckpoint(dirpath=ckpt_dir, filename="last", monitor=None, save_top_k=1,
                           enable_version_counter=False,
                           every_n_epochs=spec.trainer.checkpoint_every_n_epochs)
    stop = EarlyStopping(monitor=metric, mode=mode, patience=recipe.patience,
                         min_delta=recipe.min_delta)
    trainer = L.Trainer(
        accelerator=spec.trainer.accelerator, devices=spec.trainer.devices,
        num_nodes=spec.trainer.num_nodes, strategy=spec.trainer.strategy,
        precision=precision,  # type: ignore[arg-type]
        deterministic=spec.trainer.deterministic,  # type: ignore[arg-type]
        max_epochs=max_epochs if max_epochs is not None else recipe.max_epochs,
        limit_train_batches=recipe.limit_train_batches,
        limit_val_batches=recipe.limit_val_batches, callbacks=[best, last, stop, RngState()],
        plugins=[AtomicCheckpointIO(run_seal(spec))],
        logger=_loggers(spec, run_dir), enable_progress_bar=_progress_bar(),
        enable_model_summary=False, num_sanity_val_steps=0,
        log_every_n_steps=1, default_root_dir=run_dir)
    return RunTrainer(trainer, best, metric, mode)
