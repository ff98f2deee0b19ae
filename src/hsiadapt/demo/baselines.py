"""Classical baselines on the same splits as the deep runs - what a hyperspectral scientist would
compare with first (scikit-learn):

* segmentation: per-pixel linear discriminant analysis (``lda``) and a random forest
  (``random_forest``) on the full spectra (``adapter="full"``) and on the 12 Sentinel-2 bands
  through the SRF adapter (``adapter="srf"``), scored with the same mIoU as the deep runs;
* canopy regression: ridge regression (``ridge``) and partial least squares (``pls``) on the
  field-mean spectra, scored with the HYPERVIEW score.

Each returns rows in the ``results.csv`` form (``init`` is ``none``). The fitting and scoring
are :mod:`hsiadapt.models.classical`'s, which ``baselines:`` in any experiment config runs too
(:mod:`hsiadapt.experiment.baselines`).
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


def _train_test(dataset: str, root: str | Path, train_subset: int | None,
                dataset_args: dict[str, Any] | None) -> tuple[Any, Any]:
    """The (first ``train_subset``) training split and the test split of a registered dataset."""
    from hsiadapt.datasets import DATASETS

    cls: Any = DATASETS.get(dataset)
    args = dict(dataset_args or {})
    return cls(root, "train", train_subset=train_subset, **args), cls(root, "test", **args)


def segmentation_baselines(dataset: str, root: str | Path, *, task: str,
                           train_subset: int | None = None, seeds: tuple[int, ...] = (0, 1, 2),
                           models: tuple[str, ...] = ("lda", "random_forest"),
                           max_train_pixels: int | None = 50_000, n_estimators: int = 100,
                           dataset_args: dict[str, Any] | None = None) -> list[BaselineRow]:
    """Per-pixel classifiers trained on the (first ``train_subset``) training chips, scored on
    the test split with the deep runs' mIoU."""
    from hsiadapt.adapters import build_adapter
    from hsiadapt.models.classical import (
        make_classifier,
        score_classifiers,
        seeds_for,
        training_pixels,
    )

    train, test = _train_test(dataset, root, train_subset, dataset_args)
    rows = []
    for band_set in ("full", "srf"):
        adapter = None if band_set == "full" else build_adapter("srf", train.bands)
        for model in models:
            scores = []
            for seed in seeds_for(model, seeds):
                rng = np.random.default_rng(seed)
                x, y = training_pixels(train, adapter, max_train_pixels, rng)
                clf = make_classifier(model, seed, n_estimators).fit(x, y)
                got = score_classifiers({0: clf}, test, adapter, list(train.classes))
                scores.append(got[0]["miou"])
            rows.append(BaselineRow(task, model, band_set, "miou", "max", tuple(scores)))
    return rows


def canopy_baselines(dataset: str, root: str | Path, *, task: str,
                     train_subset: int | None = None,
                     models: tuple[Literal["ridge", "pls"], ...] = ("ridge", "pls"),
                     dataset_args: dict[str, Any] | None = None) -> list[BaselineRow]:
    """Ridge and PLS on field-mean spectra, scored with the HYPERVIEW score on the test split."""
    from hsiadapt.adapters import build_adapter
    from hsiadapt.models.classical import field_means, make_regressor
    from hsiadapt.models.metrics import hyperview_score

    train, test = _train_test(dataset, root, train_subset, dataset_args)
    rows = []
    for band_set in ("full", "srf"):
        adapter = None if band_set == "full" else build_adapter("srf", train.bands,
                                                                coverage="drop")
        x, y = field_means(train, adapter)
        xt, yt = field_means(test, adapter)
        for model in models:
            reg = make_regressor(model, x.shape[0], x.shape[1])
            reg.fit(x, y)
            pred = np.asarray(reg.predict(xt))
            score = hyperview_score(pred, yt, y.mean(axis=0), list(train.targets))
            rows.append(BaselineRow(task, model, band_set, "hyperview_score", "min",
                                    (score["hyperview_score"],)))
    return rows
