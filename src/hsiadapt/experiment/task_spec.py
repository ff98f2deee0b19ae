"""A task entry of an experiment grid (``tasks:`` in a config): a dataset, its recipe and how
its input is normalised."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hsiadapt.data.plan import Normalization, StatisticsUnits, StudyStatistics
from hsiadapt.experiment._ranges import check_dataset_codes, check_recipe_ranges
from hsiadapt.experiment._values import (
    ConfigError,
    check_arguments,
    check_fields,
    check_keys,
    check_name,
)
from hsiadapt.hints import unknown_name
from hsiadapt.models.recipes import RECIPES, Recipe

__all__ = ["TaskSpec"]


@dataclass(frozen=True)
class TaskSpec:
    """One task (dataset) of the grid.

    ``root`` is relative to the data root unless absolute. ``raw_statistics`` names a folder with
    ``mu.npy``/``sigma.npy`` (relative to the data root) for ``normalization: study``.
    """

    name: str
    dataset: str
    root: str = ""
    dataset_args: dict[str, Any] = field(default_factory=dict)
    recipe: str = "study_segmentation"
    recipe_overrides: dict[str, Any] = field(default_factory=dict)
    normalization: Normalization = "data"
    raw_statistics: str | None = None
    #: units of ``raw_statistics``: ``dn`` (reflectance x 10000, the loaders' scale) or
    #: ``reflectance`` (0-1; scaled by 10000 before use). Unset: they must match the data,
    #: which is checked when the run starts (a factor of 10 or more is an error)
    statistics_units: StatisticsUnits | None = None
    #: ``corrected`` (default): a selected band is normalised with its own statistics;
    #: ``paper``: with the *next* band's, as the study's code did (it indexed the statistics
    #: with the 1-based band numbers it read the image with). Only selection maps are affected
    study_statistics: StudyStatistics = "corrected"
    class_weights: list[float] | None = None
    cache: bool = True
    num_workers: int = 0

    def validate(self, where: str) -> None:
        from hsiadapt.datasets import DATASETS

        check_name(f"{where}.name", self.name, "task")
        if self.dataset not in DATASETS:
            raise ConfigError(unknown_name("dataset", self.dataset, DATASETS.names(), where))
        check_arguments(f"{where}.dataset_args", self.dataset_args, DATASETS.get(self.dataset),
                        given=("root", "split"), what="dataset argument")
        if self.recipe not in RECIPES:
            raise ConfigError(unknown_name("recipe", self.recipe, RECIPES.names(), where))
        check_keys(f"{where}.recipe_overrides", self.recipe_overrides, Recipe)
        object.__setattr__(self, "recipe_overrides", check_fields(
            f"{where}.recipe_overrides", self.recipe_overrides, Recipe))
        from hsiadapt.experiment.scoring import check_test_scoring

        check_test_scoring(f"{where}.recipe_overrides", self.dataset, self.recipe_obj())
        check_recipe_ranges(where, self.recipe, self.recipe_obj(), self.recipe_overrides)
        check_dataset_codes(f"{where}.dataset_args.", self.dataset_args)
        if self.normalization == "study" and not self.raw_statistics:
            raise ConfigError(f"{where}: normalization 'study' needs raw_statistics (a folder "
                              "with mu.npy and sigma.npy)")

    def recipe_obj(self) -> Recipe:
        return RECIPES.get(self.recipe).with_(**self.recipe_overrides)
