"""The TerraMind v1 tiny architecture with a patch embedding over every hyperspectral band: the
HSI-native prior (``hsiadapt pretrain --prior hsi``), the study's "upper bound" setting
(SpectralEarth pretrained on the full EnMAP bands) at laptop scale."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from hsiadapt.models.backbones.base import (
    Backbone,
    BackboneDef,
    WeightsNotFoundError,
    check_ckpt,
    register_backbone,
)
from hsiadapt.models.precision import import_terratorch

__all__ = ["terramind_v1_tiny_hsi"]


def terramind_v1_tiny_hsi(bands: Sequence[str] | None = None, pretrained: bool = False,
                          ckpt_path: str | os.PathLike | None = None, in_chans: int = 202,
                          **kwargs: Any) -> Backbone:
    """TerraMind v1 tiny (through terratorch) whose S2L2A patch embedding takes ``in_chans``
    bands of any sensor; weights from ``ckpt_path`` (a ``hsiadapt pretrain --prior hsi``
    checkpoint), else random."""
    if pretrained and ckpt_path is None:
        raise WeightsNotFoundError(
            "terramind_v1_tiny_hsi has no published weights: pretrain them with `hsiadapt "
            "pretrain --prior hsi` and set ckpt_path (or pretrained: false for random init)")
    tm = import_terratorch("terratorch.models.backbones.terramind.model.terramind_register")
    registry = import_terratorch("terratorch.registry").BACKBONE_REGISTRY
    module = registry.build("terramind_v1_tiny", modalities=["S2L2A"], pretrained=False,
                            **kwargs)
    names = [f"HSI{i:03d}" for i in range(in_chans)]
    tm.select_modality_patch_embed_weights(module, {"S2L2A": names}, tm.PRETRAINED_BANDS)
    ckpt = check_ckpt(ckpt_path)
    if ckpt is not None:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        module.load_state_dict(state)
    return Backbone(module=module, name="terramind_v1_tiny_hsi", bands=None, dim=192,
                    patch_size=16, pretrained=f"ckpt:{ckpt}" if ckpt else "random")


def _patch_embedding(module: nn.Module) -> tuple[nn.Module, str, nn.Linear]:
    embeddings: Any = module.encoder_embeddings
    parent = next(iter(embeddings.values()))
    return parent, "proj", parent.proj


register_backbone(BackboneDef(
    name="terramind_v1_tiny_hsi", factory=terramind_v1_tiny_hsi, input="channels", target=None,
    dim=192, patch_size=16, patch_embedding=_patch_embedding, default_pretrained=False))
