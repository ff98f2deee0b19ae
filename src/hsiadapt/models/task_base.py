"""The Lightning task template (model, loss, metrics, optimiser); the task types: :mod:`.task`.

Optimiser AdamW; scheduler cosine annealing or ReduceLROnPlateau (on the validation loss);
metrics accumulated over the whole epoch (a confusion matrix, or all predictions), logged under
``val/...`` and ``test/...`` with names that say what they are (see :mod:`.metrics`). In a
multi-process (DDP) run each process sees part of the split: the epoch's confusion matrix is
summed and the predictions gathered over every process before the metrics are computed, and
the loss is averaged over them, so every process logs the numbers of the whole split.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import numpy as np
import torch

from hsiadapt.models.model import AdaptedModel
from hsiadapt.models.recipes import Recipe

__all__ = ["HSITask", "gather_over_processes", "sum_over_processes"]


def _world() -> int:
    import torch.distributed as dist

    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def sum_over_processes(t: torch.Tensor) -> torch.Tensor:
    """``t`` summed over every DDP process (``t`` itself in a single process)."""
    if _world() == 1:
        return t
    import torch.distributed as dist

    out = t.clone()
    dist.all_reduce(out)
    return out


def gather_over_processes(parts: list[Any]) -> list[Any]:
    """The epoch's per-batch results of every DDP process, process by process."""
    if _world() == 1:
        return parts
    import torch.distributed as dist

    every: list[Any] = [None] * _world()
    dist.all_gather_object(every, parts)
    return [x for rank in every for x in (rank or [])]


class HSITask(L.LightningModule):
    """Template: subclasses implement ``loss`` and the metric hooks."""

    def __init__(self, model: AdaptedModel, recipe: Recipe) -> None:
        super().__init__()
        self.model = model
        self.recipe = recipe
        self.save_hyperparameters({"recipe": recipe.to_dict()})
        self.history: list[dict[str, float]] = []

    @classmethod
    def for_dataset(cls, model: AdaptedModel, recipe: Recipe, dataset: Any,
                    class_weights: list[float] | None = None) -> HSITask:
        """The task for ``dataset`` (its classes or targets)."""
        raise NotImplementedError  # pragma: no cover - each task type says what it needs

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        wl = batch.get("wavelength")
        return self.model(batch["image"], batch.get("valid"), wl, batch.get("fwhm"))

    # -- template hooks ------------------------------------------------------------------------
    def loss(self, out: torch.Tensor, batch: dict[str, Any]) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def reset_metrics(self, stage: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def update_metrics(self, stage: str, out: torch.Tensor, batch: dict[str, Any]) -> None:
        raise NotImplementedError  # pragma: no cover

    def compute_metrics(self, stage: str) -> dict[str, float]:  # pragma: no cover
        raise NotImplementedError

    # -- steps ---------------------------------------------------------------------------------
    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        out = self(batch)
        loss = self.loss(out, batch)
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True,
                 batch_size=out.shape[0])
        return loss

    def on_train_start(self) -> None:
        # modules that keep a constraint after each optimizer step (the spectral tokenizer's
        # ``support: seen``), found once per fit rather than per batch
        self._after_step = [m.after_step for m in self.model.modules()
                            if callable(getattr(m, "after_step", None))]

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        for step in getattr(self, "_after_step", ()):
            step()

    #: the batch key holding the targets
    target_key = "label"

    def _eval_step(self, stage: str, batch: dict[str, Any]) -> None:
        out = self(batch)
        if self.target_key not in batch:  # unlabelled split (e.g. a challenge test set)
            return
        self.log(f"{stage}/loss", self.loss(out, batch), on_step=False, on_epoch=True,
                 prog_bar=stage == "val", batch_size=out.shape[0], sync_dist=True)
        self.update_metrics(stage, out.float(), batch)

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._eval_step("val", batch)

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._eval_step("test", batch)

    def on_validation_epoch_start(self) -> None:
        self.reset_metrics("val")

    def on_test_epoch_start(self) -> None:
        self.reset_metrics("test")

    def sync_metrics(self, stage: str) -> None:
        """Combine the epoch's accumulators of every DDP process (a no-op in one process)."""

    def _log_metrics(self, stage: str) -> None:
        self.sync_metrics(stage)  # outside the try: a process that died fails the run
        try:
            vals = self.compute_metrics(stage)
        except (KeyError, ValueError, RuntimeError):  # nothing labelled was seen
            vals = {}
        for k, v in vals.items():
            if isinstance(v, (int, float)) and np.isfinite(v):
                self.log(f"{stage}/{k}", float(v), prog_bar=k == self.primary[0])
        self.last_metrics = {f"{stage}/{k}": v for k, v in vals.items()}

    def on_validation_epoch_end(self) -> None:
        self._log_metrics("val")

    def on_test_epoch_end(self) -> None:
        self._log_metrics("test")

    #: the optimiser every task trains with (its settings: the recipe's lr and weight_decay)
    OPTIMIZER = "AdamW"

    def configure_optimizers(self) -> Any:
        r = self.recipe
        # on a CPU the fused AdamW kernel is ~4x faster than the per-tensor loop (the same
        # update); elsewhere torch's default implementation
        cpu = all(p.device.type == "cpu" for p in self.parameters())
        opt = torch.optim.AdamW(self.parameters(), lr=r.lr, weight_decay=r.weight_decay,
                                fused=True if cpu else None)
        if r.scheduler == "cosine":
            cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=r.cosine_t_max,
                                                             eta_min=r.cosine_eta_min)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": cos, "interval": "epoch"}}
        if r.scheduler == "plateau":
            plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
                opt, patience=r.plateau_patience, factor=r.plateau_factor,
                min_lr=r.plateau_min_lr)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": plateau,
                                                       "monitor": "val/loss", "interval": "epoch"}}
        return opt

    #: the task's primary test metric and its direction (declared once, here, per task)
    primary: tuple[str, str] = ("loss", "min")

    @classmethod
    def primary_for(cls, recipe: Recipe) -> tuple[str, str]:
        """The primary metric a task of this class has under ``recipe``."""
        return cls.primary

    @classmethod
    def monitor_for(cls, recipe: Recipe) -> tuple[str, str]:
        """What early stopping and checkpoint selection watch under ``recipe``, and its
        direction: the recipe's ``monitor`` when set (a ``.../loss`` is minimised), else the
        primary metric on ``val``."""
        name = recipe.monitor
        metric, direction = cls.primary_for(recipe)
        if name is None:
            return f"val/{metric}", direction
        if name.endswith("loss"):
            return name, "min"
        if name.split("/", 1)[-1] == metric:
            return name, direction
        raise ValueError(f"recipe monitor {name!r}: use 'val/loss' or 'val/{metric}' (the "
                         "task's primary metric)")

    @property
    def monitor(self) -> tuple[str, str]:
        """:meth:`monitor_for` this task's recipe."""
        return self.monitor_for(self.recipe)
