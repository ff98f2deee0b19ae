"""The HSI-native baseline: a ViT-S/16 over all EnMAP bands (SpectralEarth's setting)."""

from __future__ import annotations

import logging
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

__all__ = ["spectralearth_vit_s16"]

log = logging.getLogger(__name__)

class _TimmTokens(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        m: Any = self.inner
        h = m.patch_embed(x)
        h = m._pos_embed(h)
        h = m.norm_pre(h)
        outs = []
        n_prefix = getattr(m, "num_prefix_tokens", 1)
        for blk in m.blocks:
            h = blk(h)
            outs.append(h[:, n_prefix:])
        return outs


def spectralearth_vit_s16(bands: Sequence[str] | None = None, pretrained: bool = False,
                          ckpt_path: str | os.PathLike | None = None, in_chans: int = 202,
                          img_size: int = 128, **kwargs: Any) -> Backbone:
    """The HSI-native baseline: ViT-S/16 on all EnMAP bands (SpectralEarth's setting).

    torchgeo 0.8.1 (the release installable here) ships no SpectralEarth weight enum, so
    pretrained weights come from a local file: ``ckpt_path=`` (a SpectralEarth ViT-S/16
    checkpoint; ``model.``/``backbone.`` prefixes are stripped).
    """
    from torchgeo.models import vit_small_patch16_224

    if pretrained and ckpt_path is None:
        raise WeightsNotFoundError(
            "spectralearth_vit_s16: torchgeo 0.8.1 provides no SpectralEarth weights; pass "
            "ckpt_path=/path/to/spectralearth_vit_s16.pth, or pretrained=False for random init")
    ckpt = check_ckpt(ckpt_path)
    model = vit_small_patch16_224(weights=None, in_chans=in_chans, img_size=img_size,
                                  num_classes=0, dynamic_img_size=True, **kwargs)
    src = "random"
    if ckpt is not None:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state)
        state = {k.split("model.", 1)[-1].split("backbone.", 1)[-1]: v for k, v in state.items()}
        res = model.load_state_dict(state, strict=False)
        if res.missing_keys:
            log.warning("spectralearth_vit_s16: missing keys %s", res.missing_keys[:5])
        src = f"ckpt:{ckpt}"
    return Backbone(module=_TimmTokens(model), name="spectralearth_vit_s16", bands=None,
                    dim=384, patch_size=16, pretrained=src)


register_backbone(BackboneDef(name="spectralearth_vit_s16", factory=spectralearth_vit_s16,
                              input="channels", target=None, dim=384, patch_size=16,
                              default_pretrained=False))
