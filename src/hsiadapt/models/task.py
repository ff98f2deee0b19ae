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

import numpy as np
import torch
import torch.nn.functional as F

from hsiadapt.hints import check_choice
from hsiadapt.models.metrics import (
    Reduction,
    confusion_matrix,
    hyperview_score,
    regression_scores,
    segmentation_scores,
)
from hsiadapt.models.model import AdaptedModel
from hsiadapt.models.recipes import Recipe
from hsiadapt.models.task_base import HSITask, gather_over_processes, sum_over_processes
from hsiadapt.registry import Registry

__all__ = ["TASKS", "HSITask", "MultiLabelTask", "RegressionTask", "SegmentationTask",
           "build_task"]

#: task type -> its task class; ``cls.for_dataset(model, recipe, dataset, class_weights)``
#: builds it for a dataset
TASKS: Registry[type[HSITask]] = Registry("task")


@TASKS.register("segmentation")
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

    @classmethod
    def for_dataset(cls, model: AdaptedModel, recipe: Recipe, dataset: Any,
                    class_weights: list[float] | None = None) -> HSITask:
        return cls(model, recipe, num_classes=len(dataset.classes),
                   class_names=list(dataset.classes), ignore_index=dataset.ignore_index,
                   class_weights=class_weights)

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
        self._cm[stage] = sum_over_processes(self._cm[stage])

    def compute_metrics(self, stage: str) -> dict[str, Any]:
        s = segmentation_scores(self._cm[stage], self.class_names)
        out: dict[str, Any] = {k: v for k, v in s.items() if k != "iou_per_class"}
        names = self.class_names or [str(i) for i in range(self.num_classes)]
        for n, v in zip(names, s["iou_per_class"], strict=True):  # type: ignore[arg-type]
            out[f"iou/{n}"] = v
        return out


@TASKS.register("regression")
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

    @classmethod
    def for_dataset(cls, model: AdaptedModel, recipe: Recipe, dataset: Any,
                    class_weights: list[float] | None = None) -> HSITask:
        mean, std = dataset.target_statistics()
        return cls(model, recipe, target_mean=list(map(float, mean)),
                   target_std=list(map(float, std)), target_names=list(dataset.targets))

    def __init__(self, model: AdaptedModel, recipe: Recipe, *, target_mean: list[float],
                 target_std: list[float], target_names: list[str],
                 reduction: Reduction = "mean") -> None:
        super().__init__(model, recipe)
        check_choice("reduction", reduction, Reduction)  # not a NaN score after training
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
        self._pred[stage] = gather_over_processes(self._pred[stage])
        self._true[stage] = gather_over_processes(self._true[stage])

    def compute_metrics(self, stage: str) -> dict[str, Any]:
        p, y = np.concatenate(self._pred[stage]), np.concatenate(self._true[stage])
        out: dict[str, Any] = regression_scores(p, y, self.target_names)
        try:
            out.update(hyperview_score(p, y, self.t_mean.cpu().numpy(), self.target_names,
                                       self.reduction))
        except ValueError:
            out["hyperview_score"] = float("nan")
        return out


@TASKS.register("multilabel")
class MultiLabelTask(HSITask):
    """BCE on logits; macro/micro F1 and mAP (torchmetrics)."""

    primary = ("map_macro", "max")

    @classmethod
    def for_dataset(cls, model: AdaptedModel, recipe: Recipe, dataset: Any,
                    class_weights: list[float] | None = None) -> HSITask:
        return cls(model, recipe, num_classes=len(dataset.classes))

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
        self._out[stage] = gather_over_processes(self._out[stage])
        self._lab[stage] = gather_over_processes(self._lab[stage])

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


def build_task(model: AdaptedModel, recipe: Recipe, dataset: Any,
               class_weights: list[float] | None = None) -> HSITask:
    """The task for a dataset (its task type, classes, targets)."""
    kind = getattr(dataset, "task", recipe.task)
    if kind not in TASKS:
        raise ValueError(f"dataset task {kind!r} has no training task (registered: "
                         f"{', '.join(TASKS.names())})")
    return TASKS.get(kind).for_dataset(model, recipe, dataset, class_weights)
