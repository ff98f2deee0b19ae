"""Prithvi-EO-2.0 (through terratorch) on the six HLS bands."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
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

__all__: list[str] = []

_PRITHVI_BANDS = ["BLUE", "GREEN", "RED", "NIR_NARROW", "SWIR_1", "SWIR_2"]


def _prithvi(variant: str) -> Callable[..., Backbone]:
    def factory(bands: Sequence[str] | None = None, pretrained: bool = True,
                ckpt_path: str | os.PathLike | None = None, **kwargs: Any) -> Backbone:
        """Prithvi-EO-2.0 through terratorch, on the six HLS bands (``hls`` sensor)."""
        BACKBONE_REGISTRY = import_terratorch("terratorch.registry").BACKBONE_REGISTRY

        chosen = list(bands) if bands is not None else list(_PRITHVI_BANDS)
        ckpt = check_ckpt(ckpt_path)
        if pretrained and ckpt is None and os.environ.get("HF_HUB_OFFLINE") == "1":
            raise WeightsNotFoundError(
                f"{variant}: offline and no ckpt_path; pass ckpt_path= or pretrained=False")
        module = BACKBONE_REGISTRY.build(variant, pretrained=bool(pretrained and ckpt is None),
                                         ckpt_path=str(ckpt) if ckpt else None, bands=chosen,
                                         num_frames=1, **kwargs)
        dim = int(module.out_channels[-1])
        src = f"ckpt:{ckpt}" if ckpt else ("hf" if pretrained else "random")
        return Backbone(module=_PrithviTokens(module), name=variant, bands=chosen, dim=dim,
                        patch_size=16, pretrained=src)

    factory.__name__ = variant
    return factory


class _PrithviTokens(nn.Module):
    """Prithvi returns tokens with a leading CLS token; drop it so every backbone gives patches."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [f[:, 1:] for f in self.inner(x)]


for _name, _dim in (("prithvi_eo_v2_100_tl", 768), ("prithvi_eo_v2_300", 1024),
                   ("prithvi_eo_v2_300_tl", 1024)):
    register_backbone(BackboneDef(name=_name, factory=_prithvi(_name), input="named_bands",
                                  target="hls", dim=_dim, patch_size=16))
