"""Backbones: a thin typed layer over terratorch (and torchgeo/timm for DOFA, Copernicus-FM,
Panopticon and the HSI-native ViT).

Each entry is a :class:`~hsiadapt.models.backbones.base.BackboneDef` declaring what it is
(pretraining band set and statistics, input-channel policy, patch embedding, token layout); its
factory returns a :class:`~hsiadapt.models.backbones.base.Backbone`. ``pretrained=True`` loads
official weights (Hugging Face cache through terratorch); ``ckpt_path=`` loads a local file; with
neither, weights are random only because the caller asked for ``pretrained=False``.
"""

from hsiadapt.models.backbones import (  # noqa: F401  (register)
    copernicusfm,
    dofa,
    panopticon,
    prithvi,
    stub,
    terramind,
    terramind_hsi,
    vit_hsi,
)
from hsiadapt.models.backbones.base import (
    BACKBONES,
    Backbone,
    BackboneDef,
    WeightsNotFoundError,
    build_backbone,
)

__all__ = ["BACKBONES", "Backbone", "BackboneDef", "WeightsNotFoundError", "build_backbone"]
