"""Copernicus-FM ViT-B/16 (torchgeo): a hypernetwork generates the patch embedding from each
band's wavelength *and bandwidth*, so it takes any bands (``input_mode: native``).

torchgeo==0.8.1 ``torchgeo/models/copernicusfm.py``: ``forward_features`` takes l.587
``wavelengths: Wavelengths of each spectral band (nm).`` and l.589 ``bandwidths: Bandwidths in
nm.``; the base model is l.758 ``kwargs |= {'embed_dim': 768, 'depth': 12, 'num_heads': 12}``;
metadata it does not know (here: location, time, area) are NaN, for which it uses learned tokens
(l.586 ``Use NaN for unknown metadata.``). The bandwidth is the band's FWHM; where a band table
has none, the local band spacing (:func:`~hsiadapt.models.backbones._torchgeo.fill_fwhm`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from hsiadapt.models.backbones._torchgeo import (
    band_vector,
    block_tokens,
    check_keys,
    fill_fwhm,
    load_weights,
)
from hsiadapt.models.backbones.base import Backbone, BackboneDef, register_backbone

__all__ = ["copernicusfm_base"]

#: what torchgeo's loader lets the checkpoint lack (copernicusfm.py l.766 ``# Both fc_norm and
#: head are generated dynamically``)
_ALLOWED_MISSING = ("fc_norm.weight", "fc_norm.bias", "head.weight", "head.bias")


class _CopernicusFMTokens(nn.Module):
    def __init__(self, inner: nn.Module, patch_size: int) -> None:
        super().__init__()
        self.inner = inner
        self.patch_size = patch_size

    def forward(self, x: torch.Tensor, wavelengths: torch.Tensor,
                fwhm: torch.Tensor | None = None) -> list[torch.Tensor]:
        n = x.shape[1]
        wl = band_vector(wavelengths, n, "wavelengths").float()
        bw = fill_fwhm(wl, None if fwhm is None else band_vector(fwhm, n, "fwhm").float())
        meta = torch.full((x.shape[0], 4), float("nan"), device=x.device)
        m: Any = self.inner
        return block_tokens(m.blocks, lambda: m.forward_features(
            x, meta, wavelengths=wl.tolist(), bandwidths=bw.tolist(),
            kernel_size=self.patch_size), n_prefix=1)


def copernicusfm_base(bands: Sequence[str] | None = None, pretrained: bool = True,
                      ckpt_path: str | os.PathLike | None = None, img_size: int = 224,
                      embed_dim: int = 768, depth: int = 12, num_heads: int = 12) -> Backbone:
    """Copernicus-FM ViT-B/16: wavelength- and bandwidth-conditioned patch embedding.

    Args:
        bands: ignored (the model reads the band table of whatever bands it gets).
        pretrained: the published weights (``CopernicusFM_Base_Weights``), from torch's cache.
        ckpt_path: a local weights file (wins over ``pretrained``).
        img_size: the pretraining grid of the position embedding (resized to the input).
        embed_dim, depth, num_heads: the architecture (ViT-B by default; smaller only for
            random-init smoke runs).
    """
    from torchgeo.models import CopernicusFM, CopernicusFM_Base_Weights

    model = CopernicusFM(img_size=img_size, patch_size=16, embed_dim=embed_dim, depth=depth,
                         num_heads=num_heads)
    state, src = load_weights("copernicusfm_base",
                              CopernicusFM_Base_Weights.CopernicusFM_ViT.url,
                              pretrained=pretrained, ckpt_path=ckpt_path)
    if state is not None:
        res = model.load_state_dict(state, strict=False)
        check_keys("copernicusfm_base", res.missing_keys, res.unexpected_keys,
                   _ALLOWED_MISSING)
    return Backbone(module=_CopernicusFMTokens(model, 16), name="copernicusfm_base", bands=None,
                    dim=embed_dim, patch_size=16, pretrained=src, wavelength_conditioned=True,
                    info={"reads": "wavelength, fwhm"})


register_backbone(BackboneDef(name="copernicusfm_base", factory=copernicusfm_base,
                              input="wavelengths", target=None, dim=768, patch_size=16))
