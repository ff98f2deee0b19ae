"""The model part of a run plan: what :func:`~hsiadapt.models.model.build_model` builds.

:func:`hsiadapt.experiment.plan.plan_run` fills it from a run config; :meth:`ModelPlan.build`
builds the model once the data's bands are known, so a model setting travels config -> plan ->
owner, through no other argument list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from hsiadapt.models.model import AdaptedModel, NormalizationFold
    from hsiadapt.spectral import BandSet

__all__ = ["ModelPlan", "TaskType"]

TaskType = Literal["segmentation", "regression", "multilabel"]


@dataclass(frozen=True)
class ModelPlan:
    """The model of a run (its input bands are known once the dataset is opened)."""

    task: TaskType
    input_mode: str  # "none" when the adapter ran in the data pipeline
    backbone: str
    target: str
    pretrained: bool
    ckpt_path: str | None
    adapter_args: dict[str, Any] | None
    head_args: dict[str, Any]
    backbone_args: dict[str, Any]
    mask_channel: bool
    precision: str

    def build(self, source: BandSet | str, num_outputs: int, *,
              target: BandSet | str | None = None,
              fold: NormalizationFold | None = None) -> AdaptedModel:
        """The model for data in ``source`` bands (``target``: the fixed adapter's output bands
        when it ran in the pipeline, e.g. after a coverage ``drop``; ``fold``: the
        normalisations a folded input embedding bridges)."""
        from hsiadapt.models.model import build_model

        return build_model(
            task=self.task, source=source, input_mode=self.input_mode, backbone=self.backbone,
            target=target if target is not None else self.target, num_outputs=num_outputs,
            pretrained=self.pretrained, ckpt_path=self.ckpt_path, adapter_args=self.adapter_args,
            head_args=self.head_args, backbone_args=self.backbone_args,
            mask_channel=self.mask_channel, full_spectrum_fold=fold, precision=self.precision)
