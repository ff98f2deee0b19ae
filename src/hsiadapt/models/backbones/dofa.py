"""DOFA ViT-B/16 (torchgeo): a hypernetwork generates the patch embedding from each band's
wavelength, so it takes any bands (``input_mode: native``).

torchgeo==0.8.1 ``torchgeo/models/dofa.py``: the embedding takes wavelengths in micrometres
(l.201 ``wavelengths: Wavelengths of each spectral band (μm).``) and turns them back into nm for
its position encoding (l.208 ``waves = position_embedding(self.dynamic_embed_dim, wavelengths *
1000)``); the base model is ``DOFA`` with l.471 ``kwargs |= {'patch_size': 16, 'embed_dim': 768,
'depth': 12, 'num_heads': 12}``. Its ``forward_features`` adds a fixed-size position embedding,
so the tokens are computed here with the embedding resampled to the input's grid.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from hsiadapt.models.backbones._torchgeo import band_vector, check_keys, load_weights
from hsiadapt.models.backbones.base import Backbone, BackboneDef, register_backbone

__all__ = ["dofa_base"]

#: what torchgeo's loader lets a DOFA checkpoint lack (dofa.py l.478 ``# Both fc_norm and head
#: are generated dynamically``)
_ALLOWED_MISSING = ("fc_norm.weight", "fc_norm.bias", "head.weight", "head.bias")


class _DOFATokens(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor, wavelengths: torch.Tensor,
                fwhm: torch.Tensor | None = None) -> list[torch.Tensor]:
        from timm.layers import resample_abs_pos_embed

        wl_um = band_vector(wavelengths, x.shape[1], "wavelengths").float() / 1000.0
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
              embed_dim: int = 768, depth: int = 12, num_heads: int = 12) -> Backbone:
    """DOFA ViT-B/16: wavelength-conditioned patch embedding, any number of bands.

    Args:
        bands: ignored (DOFA reads the wavelengths of whatever bands it gets).
        pretrained: the published DOFA-MAE weights, from torch's hub cache.
        ckpt_path: a local weights file (wins over ``pretrained``).
        img_size: the pretraining grid of the position embedding (resampled to the input).
        embed_dim, depth, num_heads: the architecture (ViT-B by default; smaller only for
            random-init smoke runs - the published weights are ViT-B).
    """
    from torchgeo.models import DOFA, DOFABase16_Weights

    model = DOFA(img_size=img_size, patch_size=16, embed_dim=embed_dim, depth=depth,
                 num_heads=num_heads)
    state, src = load_weights("dofa_base", DOFABase16_Weights.DOFA_MAE.url,
                              pretrained=pretrained, ckpt_path=ckpt_path)
    if state is not None:
        res = model.load_state_dict(state, strict=False)
        check_keys("dofa_base", res.missing_keys, res.unexpected_keys, _ALLOWED_MISSING)
    return Backbone(module=_DOFATokens(model), name="dofa_base", bands=None, dim=embed_dim,
                    patch_size=16, pretrained=src, wavelength_conditioned=True)


register_backbone(BackboneDef(name="dofa_base", factory=dofa_base, input="wavelengths",
                              target=None, dim=768, patch_size=16))
