"""Lightning tasks: one template (configure model / loss / metrics), three task types.

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
import torch.nn.functional as F

from hsiadapt.models.metrics import (
    confusion_matrix,
    hyperview_score,
    regression_scores,
    segmentation_scores,
)
from hsiadapt.models.model import AdaptedModel
from hsiadapt.models.recipes import Recipe

__all__ = ["HSITask", "MultiLabelTask", "RegressionTask", "SegmentationTask", "build_task"]


def _world() -> int:
    import torch.distributed as dist

    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def _sum_over_processes(t: torch.Tensor) -> torch.Tensor:
    """``t`` summed over every DDP process (``t`` itself in a single process)."""
    if _world() == 1:
        return t
    import torch.distributed as dist

    out = t.clone()
    dist.all_reduce(out)
    return out


def _gather_over_processes(parts: list[Any]) -> list[Any]:
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

    @property
    def monitor(self) -> tuple[str, str]:
        """What early stopping and checkpoint selection watch, and its direction: the recipe's
        ``monitor`` when set (a ``.../loss`` is minimised), else the primary metric on ``val``."""
        name = self.recipe.monitor
        metric, direction = self.primary
        if name is None:
            return f"val/{metric}", direction
        if name.endswith("loss"):
            return name, "min"
        if name.split("/", 1)[-1] == metric:
            return name, direction
        raise ValueError(f"recipe monitor {name!r}: use 'val/loss' or 'val/{metric}' (the "
                         "task's primary metric)")


class SegmentationTask(HSITask):
    """Cross-entropy with the dataset's ignore index (and optional class weights)."""

    primary = ("miou", "max")
    class_weights: torch.Tensor
    target_key = "mask"

    def __init__(self, model: AdaptedModel, recipe: Recipe, *, num_classes: int,
                 class_names: list[str] | None = None, ignore_index: int = -1,
                 class_weights: list[float] | None = None) -> None:
        super().__init__(model, recipe)
        self.num_classes, self.ignore_index = num_classes, ignore_index
        self.class_names = list(class_names) if class_names else None
        w = torch.tensor(class_weights, dtype=torch.float32) if class_weights else None
        if w is not None and len(w) != num_classes:
            raise ValueError(f"{len(w)} class weights for {num_classes} classes")
        self.register_buffer("class_weights", w if w is not None else torch.ones(num_classes))
        self._cm: dict[str, torch.Tensor] = {}

    def loss(self, out: torch.Tensor, batch: dict[str, Any]) -> torch.Tensor:
        return F.cross_entropy(out.float(), batch["mask"], weight=self.class_weights,
                               ignore_index=self.ignore_index)

    def reset_metrics(self, stage: str) -> None:
        self._cm[stage] = torch.zeros(self.num_classes, self.num_classes, dtype=torch.long)

    def update_metrics(self, stage: str, out: torch.Tensor, batch: dict[str, Any]) -> None:
        if stage not in self._cm:
            self.reset_metrics(stage)
        self._cm[stage] += confusion_matrix(out.argmax(1).cpu(), batch["mask"].cpu(),
                                            self.num_classes, self.ignore_index)

    def sync_metrics(self, stage: str) -> None:
        if stage not in self._cm:
            self.reset_metrics(stage)
        self._cm[stage] = _sum_over_processes(self._cm[stage])

    def compute_metrics(self, stage: str) -> dict[str, Any]:
        s = segmentation_scores(self._cm[stage], self.class_names)
        out: dict[str, Any] = {k: v for k, v in s.items() if k != "iou_per_class"}
        names = self.class_names or [str(i) for i in range(self.num_classes)]
        for n, v in zip(names, s["iou_per_class"], strict=True):  # type: ignore[arg-type]
            out[f"iou/{n}"] = v
        return out


class RegressionTask(HSITask):
    """MSE on standardised targets; metrics in original units: MSE, RMSE and R² per target and
    on average, and the HYPERVIEW score. The primary one is the recipe's ``regression_score``."""

    @classmethod
    def primary_for(cls, recipe: Recipe) -> tuple[str, str]:
        return {"hyperview": ("hyperview_score", "min"), "rmse": ("rmse", "min"),
                "r2": ("r2", "max")}[recipe.regression_score]

    @property
    def primary(self) -> tuple[str, str]:  # type: ignore[override]
        return self.primary_for(self.recipe)

    t_mean: torch.Tensor
    t_std: torch.Tensor

    def __init__(self, model: AdaptedModel, recipe: Recipe, *, target_mean: list[float],
                 target_std: list[float], target_names: list[str],
                 reduction: str = "mean") -> None:
        super().__init__(model, recipe)
        self.register_buffer("t_mean", torch.tensor(target_mean, dtype=torch.float32))
        self.register_buffer("t_std", torch.tensor(target_std, dtype=torch.float32))
        if (self.t_std <= 0).any():
            raise ValueError("target std must be > 0")
        self.target_names, self.reduction = list(target_names), reduction
        self._pred: dict[str, list[np.ndarray]] = {}
        self._true: dict[str, list[np.ndarray]] = {}

    def loss(self, out: torch.Tensor, batch: dict[str, Any]) -> torch.Tensor:
        z = (batch["label"] - self.t_mean) / self.t_std
        if self.recipe.regression_loss == "hyperview_ratio":
            # the study's loss: per target, the batch MSE over the MSE of predicting the
            # training mean (0 after standardising), floored at 0.1; averaged over targets
            mse = (out.float() - z).square().mean(0)
            return (mse / z.square().mean(0).clamp(min=0.1)).mean()
        return F.mse_loss(out.float(), z)

    def predict_original(self, out: torch.Tensor) -> torch.Tensor:
        return out.float() * self.t_std + self.t_mean

    def reset_metrics(self, stage: str) -> None:
        self._pred[stage], self._true[stage] = [], []

    def update_metrics(self, stage: str, out: torch.Tensor, batch: dict[str, Any]) -> None:
        if stage not in self._pred:
            self.reset_metrics(stage)
        self._pred[stage].append(self.predict_original(out).detach().cpu().numpy())
        self._true[stage].append(batch["label"].detach().cpu().numpy())

    def sync_metrics(self, stage: str) -> None:
        if stage not in self._pred:
            self.reset_metrics(stage)
        self._pred[stage] = _gather_over_processes(self._pred[stage])
        self._true[stage] = _gather_over_processes(self._true[stage])

    def compute_metrics(self, stage: str) -> dict[str, Any]:
        p, y = np.concatenate(self._pred[stage]), np.concatenate(self._true[stage])
        out: dict[str, Any] = regression_scores(p, y, self.target_names)
        try:
            out.update(hyperview_score(p, y, self.t_mean.cpu().numpy(), self.target_names,
                                       self.reduction))
        except ValueError:
            out["hyperview_score"] = float("nan")
        return out


class MultiLabelTask(HSITask):
    """BCE on logits; macro/micro F1 and mAP (torchmetrics)."""

    primary = ("map_macro", "max")

    def __init__(self, model: AdaptedModel, recipe: Recipe, *, num_classes: int) -> None:
        super().__init__(model, recipe)
        self.num_classes = num_classes
        self._out: dict[str, list[torch.Tensor]] = {}
        self._lab: dict[str, list[torch.Tensor]] = {}

    def loss(self, out: torch.Tensor, batch: dict[str, Any]) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(out.float(), batch["label"].float())

    def reset_metrics(self, stage: str) -> None:
        self._out[stage], self._lab[stage] = [], []

    def update_metrics(self, stage: str, out: torch.Tensor, batch: dict[str, Any]) -> None:
        if stage not in self._out:
            self.reset_metrics(stage)
        self._out[stage].append(out.detach().cpu())
        self._lab[stage].append(batch["label"].detach().cpu())

    def sync_metrics(self, stage: str) -> None:
        if stage not in self._out:
            self.reset_metrics(stage)
        self._out[stage] = _gather_over_processes(self._out[stage])
        self._lab[stage] = _gather_over_processes(self._lab[stage])

    def compute_metrics(self, stage: str) -> dict[str, Any]:
        from torchmetrics.functional.classification import (
            multilabel_average_precision,
            multilabel_f1_score,
        )

        o, y = torch.cat(self._out[stage]), torch.cat(self._lab[stage]).long()
        p = torch.sigmoid(o)
        k = self.num_classes
        return {
            "f1_macro": float(multilabel_f1_score(p, y, k, average="macro")),
            "f1_micro": float(multilabel_f1_score(p, y, k, average="micro")),
            "map_macro": float(multilabel_average_precision(p, y, k, average="macro")),
        }


#: task type -> task class
TASKS: dict[str, type[HSITask]] = {}


def build_task(model: AdaptedModel, recipe: Recipe, dataset: Any,
               class_weights: list[float] | None = None) -> HSITask:
    """The task for a dataset (its task type, classes, targets)."""
    kind = getattr(dataset, "task", recipe.task)
    if kind == "segmentation":
        return SegmentationTask(model, recipe, num_classes=len(dataset.classes),
                                class_names=list(dataset.classes),
                                ignore_index=dataset.ignore_index, class_weights=class_weights)
    if kind == "regression":
        mean, std = dataset.target_statistics()
        return RegressionTask(model, recipe, target_mean=list(map(float, mean)),
                              target_std=list(map(float, std)),
                              target_names=list(dataset.targets))
    if kind == "multilabel":
        return MultiLabelTask(model, recipe, num_classes=len(dataset.classes))
    raise ValueError(f"dataset task {kind!r} has no training task")


TASKS.update(segmentation=SegmentationTask, regression=RegressionTask, multilabel=MultiLabelTask)
