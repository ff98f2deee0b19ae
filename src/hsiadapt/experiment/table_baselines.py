"""What a results table says about its classical-baseline rows: how they were fitted (the
training-pixel cap), and - per task - when the best deep row is below the best baseline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hsiadapt.models.classical import CLASSIFIERS, MAX_TRAIN_PIXELS, REGRESSORS

if TYPE_CHECKING:
    from hsiadapt.experiment.table import ResultsTable

__all__ = ["baseline_notes", "describe_baseline"]


def describe_baseline(name: str, bands: str) -> str:
    """``per-pixel LDA on the full spectra``, ``... on the srf adapter's bands``."""
    what = {**CLASSIFIERS, **REGRESSORS}.get(name, name)
    return what + (" on the full spectra" if bands == "full" else f" on the {bands} adapter's "
                   "bands")


def _comparisons(t: ResultsTable) -> list[str]:
    lines = []
    for col in t.columns:
        found = {kind: [(b, a) for b, a, lit in t.rows if not lit
                        and ((b, a) in t.baselines) == kind
                        and (c := t.cells.get((b, a, col))) is not None and c.n]
                 for kind in (False, True)}
        deep, base = found[False], found[True]
        if not deep or not base:
            continue
        sign = 1 if t.directions[col] == "max" else -1

        def mean(ba: tuple[str, str], col: str = col) -> float:
            return t.cells[(ba[0], ba[1], col)].mean

        best_deep = max(deep, key=lambda ba: sign * mean(ba))
        best_base = max(base, key=lambda ba: sign * mean(ba))
        if sign * mean(best_deep) < sign * mean(best_base):
            word = "below" if sign > 0 else "worse than"
            lines.append(
                f"{col}: the best deep row ({best_deep[0]}, {best_deep[1]}: "
                f"{mean(best_deep):.3f} {t.metrics[col]}) is {word} "
                f"{describe_baseline(*best_base)} ({mean(best_base):.3f}).")
    return lines


def baseline_notes(t: ResultsTable) -> list[str]:
    """The lines under a table with baseline rows (none without)."""
    if not t.baselines:
        return []
    names = {b for b, _ in t.baselines}
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
    return out + _comparisons(t)
