"""Classical baselines (scikit-learn) on a dataset's own splits, scored with the deep runs'
metrics - what a hyperspectral scientist compares with first.

* segmentation: per-pixel linear discriminant analysis (``lda``) and a random forest
  (``random_forest``). They are fitted on the labelled pixels of the training split (pixels
  whose mask is the dataset's ``ignore_index`` - unlabelled, background, nodata - and pixels
  outside ``valid`` are left out, as the deep runs' loss leaves them out), at most
  ``max_train_pixels`` of them drawn without replacement with a seeded generator, and scored
  on every labelled pixel of the test split, at the labels' own grid, with the deep runs'
  confusion matrix and :func:`~hsiadapt.models.metrics.segmentation_scores`;
* regression: ridge regression (``ridge``) and partial least squares (``pls``) on each
  sample's mean spectrum over its valid pixels, scored with the deep runs' regression scores.

The spectra go in as the dataset delivers them (reflectance x 10000), or through a fixed
adapter (``select``, ``srf``: the bands a multispectral model would see); no normalisation
(LDA and trees do not need it; ridge and PLS standardise inside their pipeline).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from typing import Any, TypeVar

import numpy as np

__all__ = ["CLASSIFIERS", "MAX_TRAIN_PIXELS", "N_ESTIMATORS", "REGRESSORS", "field_means",
           "make_classifier", "make_regressor", "score_classifiers", "seeds_for",
           "training_pixels"]

_K = TypeVar("_K", bound=Hashable)

#: per-pixel classifiers for segmentation tasks, and what a table calls them
CLASSIFIERS = {"lda": "per-pixel LDA", "random_forest": "a per-pixel random forest"}
#: field-mean regressors for regression tasks
REGRESSORS = {"ridge": "ridge regression on mean spectra", "pls": "PLS on mean spectra"}
#: training pixels a classifier is fitted on, at most (a seeded draw without replacement)
MAX_TRAIN_PIXELS = 50_000
#: trees in a random forest
N_ESTIMATORS = 100
#: test pixels predicted at once (bounds the memory a big test split takes)
_CHUNK_PIXELS = 2_000_000


def seeds_for(name: str, seeds: tuple[int, ...]) -> tuple[int, ...]:
    """The seeds a baseline runs with: every seed for the random forest (its trees are random),
    the first one for the others (deterministic given their training pixels)."""
    return seeds if name == "random_forest" else seeds[:1]


def adapted_samples(ds: Any, adapter: Any | None) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
    """Each sample of ``ds`` with its image ``(C, H, W)`` as numpy, through ``adapter`` (a fixed
    spectral adapter) when given."""
    import torch

    for i in range(len(ds)):
        s = ds[i]
        img = s["image"]
        if adapter is not None:
            with torch.no_grad():
                img = adapter(img[None])[0]
        yield s, img.numpy()


def _labelled(s: Mapping[str, Any], ignore_index: int) -> np.ndarray:
    keep = (s["mask"] != ignore_index).numpy()
    if "valid" in s:
        keep &= s["valid"].numpy()
    return keep


def training_pixels(ds: Any, adapter: Any | None, max_pixels: int | None,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The labelled pixels of ``ds`` as ``(N, C)`` spectra and ``(N,)`` class ordinals; at most
    ``max_pixels`` of them, drawn by ``rng.choice(total, max_pixels, replace=False)`` over the
    pixels in sample order (one pass counts them, a second keeps only the drawn ones, so a big
    split never sits in memory whole)."""
    ignore = getattr(ds, "ignore_index", -1)
    counts = [int(_labelled(ds[i], ignore).sum()) for i in range(len(ds))]
    total = sum(counts)
    pick = None
    if max_pixels is not None and total > max_pixels:
        pick = rng.choice(total, max_pixels, replace=False)
    order = np.sort(pick) if pick is not None else None
    xs, ys, start = [], [], 0
    for (s, img), n in zip(adapted_samples(ds, adapter), counts, strict=True):
        keep = _labelled(s, ignore)
        x, y = img[:, keep].T, s["mask"].numpy()[keep]
        if order is not None:
            lo, hi = np.searchsorted(order, [start, start + n])
            x, y = x[order[lo:hi] - start], y[order[lo:hi] - start]
        xs.append(x)
        ys.append(y)
        start += n
    x, y = np.concatenate(xs), np.concatenate(ys)
    if pick is not None and order is not None:  # back to the draw's order
        where = np.searchsorted(order, pick)
        x, y = x[where], y[where]
    return x, y


def make_classifier(name: str, seed: int, n_estimators: int = N_ESTIMATORS) -> Any:
    """An unfitted scikit-learn classifier by baseline name (single-threaded)."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.ensemble import RandomForestClassifier

    if name == "lda":
        return LinearDiscriminantAnalysis()
    if name == "random_forest":
        return RandomForestClassifier(n_estimators=n_estimators, n_jobs=1, random_state=seed)
    raise ValueError(f"unknown classifier {name!r}: use one of {', '.join(CLASSIFIERS)}")


def score_classifiers(fitted: Mapping[_K, Any], ds: Any, adapter: Any | None,
                      class_names: list[str]) -> dict[_K, dict[str, float]]:
    """Each fitted classifier's segmentation scores on the labelled pixels of ``ds``, named as
    the deep runs' test metrics (``miou``, ``pixel_accuracy``, ``iou/<class>``...)."""
    import torch

    from hsiadapt.models.metrics import confusion_matrix, segmentation_scores

    k, ignore = len(class_names), getattr(ds, "ignore_index", -1)
    cms = {key: torch.zeros(k, k, dtype=torch.long) for key in fitted}
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []

    def flush() -> None:
        if not xs:
            return
        x, y = np.concatenate(xs), np.concatenate(ys)
        for key, clf in fitted.items():
            pred = np.asarray(clf.predict(x))
            cms[key] += confusion_matrix(torch.from_numpy(pred), torch.from_numpy(y), k)
        xs.clear()
        ys.clear()

    for s, img in adapted_samples(ds, adapter):
        keep = _labelled(s, ignore)
        xs.append(img[:, keep].T)
        ys.append(s["mask"].numpy()[keep])
        if sum(len(v) for v in ys) >= _CHUNK_PIXELS:
            flush()
    flush()
    out = {}
    for key, cm in cms.items():
        s = segmentation_scores(cm, class_names)
        scores: dict[str, float] = {n: float(v) for n, v in s.items()  # type: ignore[arg-type]
                                    if n != "iou_per_class"}
        for n, v in zip(class_names, s["iou_per_class"], strict=True):  # type: ignore[arg-type]
            scores[f"iou/{n}"] = float(v)
        out[key] = scores
    return out


def field_means(ds: Any, adapter: Any | None) -> tuple[np.ndarray, np.ndarray]:
    """Each sample's mean spectrum over its valid pixels ``(N, C)`` and its targets ``(N, T)``."""
    xs, ys = [], []
    for s, img in adapted_samples(ds, adapter):
        v = s["valid"].numpy() if "valid" in s else np.ones(img.shape[1:], dtype=bool)
        xs.append(img[:, v].mean(axis=1))
        ys.append(s["label"].numpy())
    return np.stack(xs), np.stack(ys)


def make_regressor(name: str, n_samples: int, n_features: int) -> Any:
    """An unfitted scikit-learn regression pipeline (standardised inputs): ridge with its
    penalty chosen by leave-one-out over 1e-3..1e3, or PLS with up to 8 components."""
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "ridge":
        return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13)))
    if name == "pls":
        n_comp = max(1, min(8, n_samples - 1, n_features))
        return make_pipeline(StandardScaler(), PLSRegression(n_components=n_comp))
    raise ValueError(f"unknown regressor {name!r}: use one of {', '.join(REGRESSORS)}")
