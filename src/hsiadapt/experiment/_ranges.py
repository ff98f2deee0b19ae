"""Config values of the right type but out of range, refused when the config is loaded.

:mod:`._values` checks that ``max_epochs`` is an integer; this module checks that it can train:
``max_epochs: 0`` or ``lr: 0`` would record a run as finished and score untrained weights, and
``image_size: 0`` surfaces deep in PyTorch. Each error names the YAML key (or the command-line
flag) and the range it needs. Duplicate ``class_codes`` (``[0, 1, 1, 2]``) would give the model
more outputs than the scores have classes, so they are refused too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from hsiadapt.experiment._values import ConfigError
from hsiadapt.models.recipes import Recipe

__all__ = ["check_dataset_codes", "check_max_epochs", "check_recipe_ranges"]

_Rule = tuple[str, Callable[[Any], bool], str]

#: (recipe field, test a valid value passes, what the field needs)
_RULES: tuple[_Rule, ...] = (
    ("max_epochs", lambda v: v >= 1, "at least 1 (0 epochs would score untrained weights)"),
    ("lr", lambda v: math.isfinite(v) and v > 0,
     "a positive number (0 would leave the weights untrained)"),
    ("batch_size", lambda v: v >= 1, "at least 1"),
    ("image_size", lambda v: v is None or v >= 1,
     "a positive number of pixels, or null to keep the chips' own size"),
    ("weight_decay", lambda v: math.isfinite(v) and v >= 0, "0 or more"),
    ("patience", lambda v: v >= 0, "0 or more epochs"),
    ("cosine_t_max", lambda v: v >= 1, "at least 1 epoch"),
    ("cosine_eta_min", lambda v: math.isfinite(v) and v >= 0, "0 or more"),
    ("plateau_patience", lambda v: v >= 0, "0 or more epochs"),
    ("plateau_factor", lambda v: 0 < v < 1, "between 0 and 1 (exclusive)"),
    ("plateau_min_lr", lambda v: math.isfinite(v) and v >= 0, "0 or more"),
    ("min_delta", lambda v: math.isfinite(v) and v >= 0, "0 or more"),
    ("crop_scale", lambda v: 0 < v[0] <= v[1] <= 1, "two numbers 0 < low <= high <= 1"),
    ("limit_train_batches", lambda v: v is None or v > 0, "a positive number, or null"),
    ("limit_val_batches", lambda v: v is None or v > 0, "a positive number, or null"),
)


def check_recipe_ranges(where: str, recipe_name: str, recipe: Recipe,
                        overrides: Mapping[str, Any]) -> None:
    """Every training setting of ``recipe`` (with ``overrides`` applied) in its range.

    Args:
        where: the task's place in the config (``"c.yaml: tasks[0]"``).
        recipe_name: the task's ``recipe``.
        recipe: the recipe with the overrides applied.
        overrides: the task's ``recipe_overrides`` (to name the key the user wrote).

    Raises:
        ConfigError: naming ``recipe_overrides.<key>`` (or the recipe) and the range.
    """
    for key, ok, need in _RULES:
        value = getattr(recipe, key)
        if ok(value):
            continue
        place = (f"{where}.recipe_overrides.{key}" if key in overrides
                 else f"{where}: recipe {recipe_name!r} {key}")
        raise ConfigError(f"{place}: must be {need}, got {value!r}")


def check_max_epochs(value: int | None, flag: str = "--max-epochs") -> None:
    """The command line's epoch override: ``None`` (the recipes') or at least 1.

    Raises:
        ValueError: naming ``flag``.
    """
    if value is not None and not value >= 1:
        raise ValueError(f"{flag} must be at least 1, got {value} (0 epochs would record the "
                         "runs as finished with untrained weights); leave it out to train the "
                         "recipes' epochs")


def check_dataset_codes(where: str, args: Mapping[str, Any]) -> None:
    """No class or background code listed twice in ``dataset_args``.

    Args:
        where: what precedes the key in the message (``"c.yaml: tasks[0].dataset_args."``, or
            ``"--arg "`` on the command line).
        args: the dataset arguments.

    Raises:
        ConfigError: naming the key and the duplicated codes.
    """
    for key in ("class_codes", "background_codes", "class_names"):
        values = args.get(key)
        if not isinstance(values, list | tuple):
            continue
        dup = sorted({v for i, v in enumerate(values) if v in values[:i]}, key=str)
        if dup:
            raise ConfigError(
                f"{where}{key}: {', '.join(repr(d) for d in dup)} listed more "
                f"than once in {list(values)}; list each once (the model gets one output per "
                "entry, the scores one per distinct class)")
