"""Metrics, each labelled by what it is (the sources disagree on what "mIoU" means).

Segmentation, from a confusion matrix over the pixels that are not ignored:

* ``miou``: macro mean of per-class IoU over the model's classes, classes absent from both
  truth and prediction left out. Such a class (e.g. one the test split has no pixel of) has an
  undefined IoU: it stays in the scores as ``NaN`` (``iou/<class>`` in ``metrics.json``), is not
  counted as 0 nor as 1, and ``miou_classes`` says how many classes the mean is over;
  :func:`undefined_classes` names them for the run output and the table. A class the test split
  lacks but the model predicts has IoU 0 (its false positives count);
* ``miou_without_background``: the same without a class named ``Background`` - equal to ``miou``
  unless the dataset trains background as a class, as the published study did (its reported
  mIoU is ``miou`` with background as a class);
* ``iou_micro``: sum TP / sum (TP + FP + FN) over classes (what SpectralEarth logs);
* ``pixel_accuracy`` and ``iou_per_class``.

HYPERVIEW: ``hyperview_score`` = mean over targets of ``MSE_i / MSE_i(base)``, ``MSE_i(base)``
the error of always predicting the training-set mean (the challenge's score; the paper writes
the sum, available as ``reduction="sum"``), with per-target MSE in original units.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import torch

from hsiadapt.hints import check_choice

__all__ = ["Reduction", "confusion_matrix", "hyperview_score", "regression_scores",
           "segmentation_scores", "undefined_classes"]

#: how the HYPERVIEW score combines the targets' MSE ratios: their ``mean`` or ``sum``
Reduction = Literal["mean", "sum"]


def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, num_classes: int,
                     ignore_index: int = -1) -> torch.Tensor:
    """``(K, K)`` int64 counts, rows = truth, columns = prediction, ignored pixels skipped."""
    keep = target != ignore_index
    t = target[keep].long()
    p = pred[keep].long()
    if t.numel() and (t.min() < 0 or t.max() >= num_classes):
        raise ValueError(f"labels outside 0..{num_classes - 1} (other than {ignore_index})")
    return torch.bincount(t * num_classes + p, minlength=num_classes**2).reshape(
        num_classes, num_classes)


def segmentation_scores(cm: torch.Tensor | np.ndarray,
                        class_names: Sequence[str] | None = None) -> dict[str, float | list[float]]:
    """Scores from a confusion matrix (see the module docstring)."""
    c = torch.as_tensor(cm, dtype=torch.float64)
    tp = c.diag()
    fp = c.sum(0) - tp
    fn = c.sum(1) - tp
    denom = tp + fp + fn
    iou = torch.where(denom > 0, tp / denom.clamp(min=1), torch.full_like(tp, float("nan")))
    present = ~torch.isnan(iou)
    out: dict[str, float | list[float]] = {
        "miou": float(iou[present].mean()) if present.any() else float("nan"),
        "iou_micro": float(tp.sum() / denom.sum()) if denom.sum() > 0 else float("nan"),
        "pixel_accuracy": float(tp.sum() / c.sum()) if c.sum() > 0 else float("nan"),
        "iou_per_class": [float(v) for v in iou],
        "miou_classes": float(present.sum()),
    }
    if class_names is not None and "Background" in class_names:
        bg = list(class_names).index("Background")
        keep = present.clone()
        keep[bg] = False
        out["miou_without_background"] = float(iou[keep].mean()) if keep.any() else float("nan")
    else:
        out["miou_without_background"] = out["miou"]
    return out


def undefined_classes(test: Mapping[str, Any]) -> list[str]:
    """The classes whose test IoU is undefined (``iou/<class>`` is NaN: no pixel of them in the
    test truth nor in the prediction), left out of ``miou``."""
    return [k.split("/", 1)[1] for k, v in test.items() if k.startswith("iou/")
            and isinstance(v, float) and math.isnan(v)]


def hyperview_score(pred: np.ndarray, true: np.ndarray, train_mean: np.ndarray,
                    targets: Sequence[str] = ("P", "K", "Mg", "pH"),
                    reduction: Reduction = "mean") -> dict[str, float]:
    """The HYPERVIEW challenge score and per-target MSE (original units).

    Args:
        pred, true: ``(N, T)`` in original units.
        train_mean: ``(T,)`` training-set mean of each target (the baseline's prediction).
        reduction: ``"mean"`` (the challenge) or ``"sum"`` (as the paper writes it).
    """
    p, y = np.asarray(pred, np.float64), np.asarray(true, np.float64)
    base = np.asarray(train_mean, np.float64)
    if p.shape != y.shape or p.ndim != 2 or base.shape != (p.shape[1],):
        raise ValueError(f"shapes pred {p.shape}, true {y.shape}, train_mean {base.shape}")
    mse = ((p - y) ** 2).mean(axis=0)
    mse_base = ((base[None] - y) ** 2).mean(axis=0)
    if (mse_base <= 0).any():
        raise ValueError("a target is constant in the evaluation set: the baseline MSE is 0")
    ratio = mse / mse_base
    check_choice("reduction", reduction, Reduction)
    out = {"hyperview_score": float(ratio.mean() if reduction == "mean" else ratio.sum())}
    for t, m, r in zip(targets, mse, ratio, strict=True):
        out[f"mse_{t}"] = float(m)
        out[f"mse_ratio_{t}"] = float(r)
    return out


def regression_scores(pred: np.ndarray, true: np.ndarray,
                      targets: Sequence[str]) -> dict[str, float]:
    """MSE, RMSE and R² per target (original units) and their means over targets.

    R² is ``1 - SSE / SST`` about the evaluation set's own mean (NaN for a constant target).
    """
    p, y = np.asarray(pred, np.float64), np.asarray(true, np.float64)
    if p.shape != y.shape or p.ndim != 2 or p.shape[1] != len(targets):
        raise ValueError(f"shapes pred {p.shape}, true {y.shape} for {len(targets)} targets")
    mse = ((p - y) ** 2).mean(axis=0)
    sst = ((y - y.mean(axis=0)) ** 2).mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(sst > 0, 1.0 - mse / np.where(sst > 0, sst, 1.0), np.nan)
    out = {"mse": float(mse.mean()), "rmse": float(np.sqrt(mse).mean()),
           "r2": float(np.nanmean(r2)) if np.isfinite(r2).any() else float("nan")}
    for t, m, r in zip(targets, mse, r2, strict=True):
        out[f"mse_{t}"] = float(m)
        out[f"rmse_{t}"] = float(np.sqrt(m))
        out[f"r2_{t}"] = float(r)
    return out
