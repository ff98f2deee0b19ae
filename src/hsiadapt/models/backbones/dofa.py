"""DOFA ViT-B/16 (torchgeo): a wavelength-conditioned patch embedding takes any bands."""

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

__all__ = ["dofa_base"]

class _DOFATokens(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor, wavelengths: torch.Tensor) -> list[torch.Tensor]:
        wl_um = (wavelengths[0] if wavelengths.ndim == 2 else wavelengths) / 1000.0
        from timm.layers import resample_abs_pos_embed

        m: Any = self.inner
        tokens, _ = m.patch_embed(x, wl_um)
        grid = (x.shape[-2] // m.patch_size, x.shape[-1] // m.patch_size)
        pos = resample_abs_pos_embed(m.pos_embed, new_size=grid, num_prefix_tokens=1)
        tokens = tokens + pos[:, 1:, :]
        cls = (m.cls_token + pos[:, :1, :]).expand(x.shape[0], -1, -1)
        h = torch.cat([cls, tokens], dim=1)
        outs = []
        for blk in m.blocks:
            h = blk(h)
            outs.append(h[:, 1:])
        return outs


def dofa_base(bands: Sequence[str] | None = None, pretrained: bool = True,
              ckpt_path: str | os.PathLike | None = None, img_size: int = 224,
              **kwargs: Any) -> Backbone:
    """DOFA ViT-B/16 (torchgeo): wavelength-conditioned patch embedding, any number of bands."""
    from torchgeo.models import DOFABase16_Weights, dofa_base_patch16_224

    ckpt = check_ckpt(ckpt_path)
    model = dofa_base_patch16_224(weights=None, img_size=img_size, **kwargs)
    src = "random"
    if ckpt is not None:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=False)
        src = f"ckpt:{ckpt}"
    elif pretrained:
        w = DOFABase16_Weights.DOFA_MAE
        try:
            state = w.get_state_dict(progress=False)
        except Exception as err:
            raise WeightsNotFoundError(
                f"dofa_base: pretrained weights ({w.url}) are not in torch's cache and could not "
                f"be downloaded ({type(err).__name__}). Download them once with network access, "
                "or pass ckpt_path=/path/to/weights.pth") from None
        model.load_state_dict(state, strict=False)
        src = "torchgeo"
    return Backbone(module=_DOFATokens(model), name="dofa_base", bands=None, dim=768,
                    patch_size=16, pretrained=src, wavelength_conditioned=True)


register_backbone(BackboneDef(name="dofa_base", factory=dofa_base, input="wavelengths",
                              target=None, dim=768, patch_size=16))
