"""The ``baselines:`` key of an experiment config: which classical baselines run beside the deep
runs, checked when the config loads.

``baselines: [lda, random_forest]`` (segmentation tasks) or ``[ridge, pls]`` (regression tasks);
a config with both kinds of task may list all four, and each task runs the ones that fit it.
Leave the key out, or write ``baselines: []``, for none. What they do and how they are scored:
:mod:`hsiadapt.models.classical`; how they run and are recorded: :mod:`.baselines`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hsiadapt.experiment._values import ConfigError
from hsiadapt.hints import did_you_mean
from hsiadapt.models.classical import CLASSIFIERS, REGRESSORS

__all__ = ["BASELINES", "TASK_BASELINES", "parse_baselines", "task_baselines"]

#: task type -> the baselines that fit it
TASK_BASELINES: dict[str, tuple[str, ...]] = {"segmentation": tuple(CLASSIFIERS),
                                              "regression": tuple(REGRESSORS)}
#: every baseline name a config may list
BASELINES: tuple[str, ...] = (*CLASSIFIERS, *REGRESSORS)


def task_baselines(names: Sequence[str], task_type: str) -> tuple[str, ...]:
    """Of ``names``, those that fit a task of ``task_type`` (in the config's order)."""
    fits = TASK_BASELINES.get(task_type, ())
    return tuple(n for n in names if n in fits)


def parse_baselines(where: str, value: Any, task_types: Sequence[str]) -> tuple[str, ...]:
    """The ``baselines:`` value, checked: a list of known names, no duplicates, each fitting at
    least one of the config's tasks (``task_types``: each task's type).

    Raises:
        ConfigError: naming the key, the offending value and what to write instead.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: must be a list of baseline names, e.g. [lda, random_forest] "
                          f"(segmentation) or [ridge, pls] (regression); got {value!r}")
    for v in value:
        if v not in BASELINES:
            raise ConfigError(f"{where}: unknown baseline {v!r}{did_you_mean(v, BASELINES)} "
                              f"Known: {', '.join(BASELINES)}")
    if len(set(value)) != len(value):
        raise ConfigError(f"{where}: {value} names a baseline twice; list each once")
    for v in value:
        kinds = [k for k, names in TASK_BASELINES.items() if v in names]
        if not any(t in kinds for t in task_types):
            fits = [n for t in dict.fromkeys(task_types) for n in TASK_BASELINES.get(t, ())]
            raise ConfigError(
                f"{where}: {v!r} is a {'/'.join(kinds)} baseline, but the config's tasks are "
                f"{'/'.join(dict.fromkeys(task_types))}; "
                + (f"use {', '.join(fits)}" if fits else "remove it (no baseline fits "
                   "these tasks)"))
    return tuple(value)
