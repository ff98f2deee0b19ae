"""Classical baselines on the same splits as the deep runs - what a hyperspectral scientist would
compare with first (scikit-learn):

* segmentation: per-pixel linear discriminant analysis (``lda``) and a random forest
  (``random_forest``) on the full spectra (``adapter="full"``) and on the 12 Sentinel-2 bands
  through the SRF adapter (``adapter="srf"``), scored with the same mIoU as the deep runs;
* canopy regression: ridge regression (``ridge``) and partial least squares (``pls``) on the
  field-mean spectra, scored with the HYPERVIEW score.

Each returns rows in the ``results.csv`` form (``init`` is ``none``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

__all__ = ["BaselineRow", "canopy_baselines", "segmentation_baselines"]


@dataclass(frozen=True)
class BaselineRow:
    task: str
    model: str
    adapter: str
    metric: str
    direction: str
    values: tuple[float, ...]  # one per seed

    def row(self) -> dict[str, Any]:
        v = np.asarray(self.values, dtype=float)
        return {"task": self.task, "model": self.model, "init": "none", "adapter": self.adapter,
                "metric": self.metric, "direction": self.direction, "mean": float(v.mean()),
                "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0, "n": len(v)}


def _samples(ds: Any, adapter: Any | None) -> Any:
    """Each sample with its image through the (fixed) adapter, as numpy."""
    import torch

    for i in range(len(ds)):
        s = ds[i]
        img = s["image"]
        if adapter is not None:
            with torch.no_grad():
                img = adapter(img[None])[0]
        yield s, img.numpy()


def _pixels(ds: Any, adapter: Any | None, max_pixels: int | None,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for s, img in _samples(ds, adapter):
        keep = (s["mask"] >= 0).numpy()
        if "valid" in s:
            keep &= s["valid"].numpy()
        xs.append(img[:, keep].T)
        ys.append(s["mask"].numpy()[keep])
    x, y = np.concatenate(xs), np.concatenate(ys)
    if max_pixels is not None and len(y) > max_pixels:
        pick = rng.choice(len(y), max_pixels, replace=False)
        x, y = x[pick], y[pick]
    return x, y


def segmentation_baselines(dataset: str, root: str | Path, *, task: str,
                           train_subset: int | None = None, seeds: tuple[int, ...] = (0, 1, 2),
                           models: tuple[str, ...] = ("lda", "random_forest"),
                           max_train_pixels: int | None = 50_000, n_estimators: int = 100,
                           dataset_args: dict[str, Any] | None = None) -> list[BaselineRow]:
    """Per-pixel classifiers trained on the (first ``train_subset``) training chips, scored on
    the test split with the deep runs' mIoU."""
    import torch
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.ensemble import RandomForestClassifier

    from hsiadapt.adapters import build_adapter
    from hsiadapt.datasets import DATASETS
    from hsiadapt.models.metrics import confusion_matrix, segmentation_scores

    cls: Any = DATASETS.get(dataset)
    args = dict(dataset_args or {})
    train = cls(root, "train", train_subset=train_subset, **args)
    test = cls(root, "test", **args)
    k = len(train.classes)
    rows = []
    for band_set in ("full", "srf"):
        adapter = None if band_set == "full" else build_adapter("srf", train.bands)
        for model in models:
            scores = []
            for seed in seeds if model == "random_forest" else seeds[:1]:
                rng = np.random.default_rng(seed)
                x, y = _pixels(train, adapter, max_train_pixels, rng)
                xt, yt = _pixels(test, adapter, None, rng)
                clf: Any = (LinearDiscriminantAnalysis() if model == "lda" else
                            RandomForestClassifier(n_estimators=n_estimators, n_jobs=1,
                                                   random_state=seed))
                clf.fit(x, y)
                pred = clf.predict(xt)
                cm = confusion_matrix(torch.from_numpy(pred), torch.from_numpy(yt), k)
                scores.append(float(segmentation_scores(cm)["miou"]))  # type: ignore[arg-type]
            rows.append(BaselineRow(task, model, band_set, "miou", "max", tuple(scores)))
    return rows


def _field_means(ds: Any, adapter: Any | None) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for s, img in _samples(ds, adapter):
        v = s["valid"].numpy()
        xs.append(img[:, v].mean(axis=1))
        ys.append(s["label"].numpy())
    return np.stack(xs), np.stack(ys)


def canopy_baselines(dataset: str, root: str | Path, *, task: str,
                     train_subset: int | None = None,
                     models: tuple[Literal["ridge", "pls"], ...] = ("ridge", "pls"),
                     dataset_args: dict[str, Any] | None = None) -> list[BaselineRow]:
    """Ridge and PLS on field-mean spectra, scored with the HYPERVIEW score on the test split."""
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from hsiadapt.adapters import build_adapter
    from hsiadapt.datasets import DATASETS
    from hsiadapt.models.metrics import hyperview_score

    cls: Any = DATASETS.get(dataset)
    args = dict(dataset_args or {})
    train = cls(root, "train", train_subset=train_subset, **args)
    test = cls(root, "test", **args)
    rows = []
    for band_set in ("full", "srf"):
        adapter = None if band_set == "full" else build_adapter("srf", train.bands,
                                                                coverage="drop")
        x, y = _field_means(train, adapter)
        xt, yt = _field_means(test, adapter)
        for model in models:
            n_comp = max(1, min(8, x.shape[0] - 1, x.shape[1]))
            reg: Any = (make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
                        if model == "ridge" else
                        make_pipeline(StandardScaler(), PLSRegression(n_components=n_comp)))
            reg.fit(x, y)
            pred = np.asarray(reg.predict(xt))
            score = hyperview_score(pred, yt, y.mean(axis=0), list(train.targets))
            rows.append(BaselineRow(task, model, band_set, "hyperview_score", "min",
                                    (score["hyperview_score"],)))
    return rows
