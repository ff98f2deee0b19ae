"""The data part of a run plan: what :class:`~hsiadapt.data.datamodule.HSIDataModule` builds.

:func:`hsiadapt.experiment.plan.plan_run` fills it from a run config; the data module builds
itself from it (:meth:`HSIDataModule.from_plan`), so a data setting travels config -> plan ->
owner, through no other argument list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

__all__ = ["AugmentationOn", "DataPlan", "Normalization", "StatisticsLookup", "StatisticsUnits",
           "StudyStatistics"]

#: ``lookup(band_names) -> (mean, std)``: a backbone's pretraining statistics by band name
#: (:meth:`hsiadapt.models.backbones.BackboneDef.pretraining_statistics`).
StatisticsLookup = Callable[[list[str]], tuple[list[float], list[float]]]

Normalization = Literal["data", "study", "pretraining", "none"]
#: where the training augmentation runs: per chip in the ``loader`` or per batch on the ``device``
AugmentationOn = Literal["loader", "device"]
#: ``dn``: reflectance x 10000 (the loaders' scale); ``reflectance``: 0-1
StatisticsUnits = Annotated[Literal["dn", "reflectance"],
                            "dn: reflectance x 10000; reflectance: 0-1"]
#: ``corrected``: a selected band gets its own statistics; ``paper``: the next band's
StudyStatistics = Annotated[Literal["corrected", "paper"],
                            "corrected: a selected band's own statistics; paper: the next band's, "
                            "as the study's code did"]


@dataclass(frozen=True)
class DataPlan:
    """The data pipeline of a run."""

    task: str  # the config's task name (for messages)
    dataset: str
    root: Path
    dataset_args: dict[str, Any]
    adapter: str | None  # the fixed adapter applied in the pipeline, or None
    adapter_args: dict[str, Any]
    target: str
    batch_size: int
    num_workers: int
    size: int | None
    normalization: Normalization
    augmentation: str
    crop_scale: tuple[float, float]
    augmentation_args: dict[str, Any]  # the augmentation's own options (from the recipe)
    raw_statistics: Path | None  # folder with mu.npy / sigma.npy (normalization "study")
    statistics_units: StatisticsUnits | None  # None: must match the data (checked at start)
    study_statistics: StudyStatistics
    cache: bool
    #: where the training augmentation runs: ``loader`` (per chip) or ``device`` (per batch)
    augmentation_on: AugmentationOn = "loader"
    #: the backbone's pretraining statistics by band name (normalization "pretraining")
    pretraining_statistics: StatisticsLookup | None = field(default=None, compare=False,
                                                            repr=False)

    @property
    def statistics_offset(self) -> int:
        """How many bands further on a selected band takes its study statistics from."""
        return 1 if self.study_statistics == "paper" else 0
