"""What a results table says about its classical-baseline rows: how they were fitted (the
training-pixel cap), and - per task - when the best deep row is below the best baseline."""

from __future__ import annotations

from collections.abc import Mapping

from hsiadapt.models.classical import CLASSIFIERS, MAX_TRAIN_PIXELS, REGRESSORS

#: a table column's measured means: (row name, adaptation) -> mean over seeds
Means = Mapping[tuple[str, str], float]

__all__ = ["baseline_notes", "describe_baseline"]


def describe_baseline(name: str, bands: str) -> str:
    """``per-pixel LDA on the full spectra``, ``... on the srf adapter's bands``."""
    what = {**CLASSIFIERS, **REGRESSORS}.get(name, name)
    return what + (" on the full spectra" if bands == "full" else f" on the {bands} adapter's "
                   "bands")


def _comparisons(means: Mapping[str, Means], baselines: set[tuple[str, str]],
                 directions: Mapping[str, str], metrics: Mapping[str, str]) -> list[str]:
    lines = []
    for col, column in means.items():
        deep = [ba for ba in column if ba not in baselines]
        base = [ba for ba in column if ba in baselines]
        if not deep or not base:
            continue
        sign = 1 if directions[col] == "max" else -1
        best_deep = max(deep, key=lambda ba: sign * column[ba])
        best_base = max(base, key=lambda ba: sign * column[ba])
        if sign * column[best_deep] < sign * column[best_base]:
            word = "below" if sign > 0 else "worse than"
            lines.append(
                f"{col}: the best deep row ({best_deep[0]}, {best_deep[1]}: "
                f"{column[best_deep]:.3f} {metrics[col]}) is {word} "
                f"{describe_baseline(*best_base)} ({column[best_base]:.3f}).")
    return lines


def baseline_notes(means: Mapping[str, Means], baselines: set[tuple[str, str]],
                   directions: Mapping[str, str], metrics: Mapping[str, str]) -> list[str]:
    """The lines under a table with baseline rows (none without).

    Args:
        means: per column (task), the measured rows' means (deep rows and baselines).
        baselines: the rows that are baselines.
        directions, metrics: per column, ``max``/``min`` and the metric's name.
    """
    if not baselines:
        return []
    names = {b for b, _ in baselines}
    out = []
    if names & set(CLASSIFIERS):
        out.append(
            "*(baseline)* rows are classical per-pixel classifiers (scikit-learn; adaptation "
            "`full`: the full spectra, else that adapter's bands), fitted on the training "
            f"split's labelled pixels - at most {MAX_TRAIN_PIXELS:,}, a draw seeded by the "
            "run's seed - and scored on every labelled test pixel at the labels' own grid "
            "with the same metric; the random forest runs once per seed, LDA once.")
    if names & set(REGRESSORS):
        out.append("*(baseline)* regression rows fit ridge / PLS on each sample's mean "
                   "spectrum over its valid pixels (training split) and score the test split.")
    return out + _comparisons(means, baselines, directions, metrics)
