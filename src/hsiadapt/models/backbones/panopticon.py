"""Panopticon ViT-B/14 (torchgeo): every band is patchified on its own, tagged with an embedding
of its wavelength, and the bands are merged by cross-attention, so it takes any bands
(``input_mode: native``); EnMAP (SpectralEarth) is in its pretraining.

torchgeo==0.8.1 ``torchgeo/models/panopticon.py``: the input is a dict with the image and, per
channel, its wavelength (l.459-460 ``For optical channels, this is the wavelength in
nanometers.``); the channel embedding rounds those ids *in place* (l.242 ``mus[opt_indices] =
(mus[opt_indices] // self.opt_coarsity).to(mus.dtype)``), so it gets a copy here. The image size
is fixed when the model is built (l.429-430 ``Panopticon can be initizialized with any image size
but image size is fixed after initialization``): ``img_size`` must be the recipe's
``image_size``. The published weights are loaded as torchgeo's ``panopticon_vitb14`` does
(l.513 ``state_dict.pop('mask_token')``, the position embedding resized from the 518-px grid).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from hsiadapt.models.backbones._torchgeo import band_vector, block_tokens, load_weights
from hsiadapt.models.backbones.base import Backbone, BackboneDef, register_backbone

__all__ = ["panopticon_vitb14"]

PATCH = 14


class _PanopticonTokens(nn.Module):
    def __init__(self, inner: nn.Module, img_size: int) -> None:
        super().__init__()
        self.inner = inner
        self.img_size = img_size

    def forward(self, x: torch.Tensor, wavelengths: torch.Tensor,
                fwhm: torch.Tensor | None = None) -> list[torch.Tensor]:
        if tuple(x.shape[-2:]) != (self.img_size, self.img_size):
            raise ValueError(f"panopticon_vitb14 was built for {self.img_size} x {self.img_size} "
                             f"px input, got {tuple(x.shape[-2:])}; set the backbone entry's "
                             "args img_size to the recipe's image_size")
        wl = band_vector(wavelengths, x.shape[1], "wavelengths").float()
        ids = wl.to(x.device)[None].expand(x.shape[0], -1).clone()
        vit: Any = self.inner.model
        return block_tokens(vit.blocks, lambda: vit.forward_features(
            {"imgs": x, "chn_ids": ids}), n_prefix=vit.num_prefix_tokens)


def _fit_state(state: dict[str, Any], vit: nn.Module) -> dict[str, Any]:
    from torchgeo.models.copernicusfm import resize_abs_pos_embed

    state = dict(state)
    state.pop("mask_token", None)
    pos = state.get("pos_embed")
    want: Any = vit.pos_embed
    if isinstance(pos, torch.Tensor) and pos.shape != want.shape:
        old = round((pos.shape[1] - 1) ** 0.5)
        new = round((want.shape[1] - 1) ** 0.5)
        state["pos_embed"] = resize_abs_pos_embed(pos, new, old)
    return state


def panopticon_vitb14(bands: Sequence[str] | None = None, pretrained: bool = True,
                      ckpt_path: str | os.PathLike | None = None, img_size: int = 224,
                      attn_dim: int = 2304, depth: int | None = None) -> Backbone:
    """Panopticon ViT-B/14: per-channel wavelength embeddings merged by cross-attention.

    Args:
        bands: ignored (the model reads the wavelengths of whatever bands it gets).
        pretrained: the published weights (``Panopticon_Weights.VIT_BASE14``), from torch's cache.
        ckpt_path: a local weights file (wins over ``pretrained``).
        img_size: input side in pixels (a multiple of 14; fixed once built).
        attn_dim: width of the channel cross-attention; depth: keep only the first ``depth``
            transformer blocks. Both change the architecture: smaller values only for
            random-init smoke runs.
    """
    from torchgeo.models import Panopticon, Panopticon_Weights

    if img_size % PATCH:
        raise ValueError(f"panopticon_vitb14: img_size {img_size} is not a multiple of the patch "
                         f"size {PATCH}; use e.g. {PATCH * max(1, round(img_size / PATCH))}")
    model = Panopticon(attn_dim=attn_dim, embed_dim=768, img_size=img_size)
    vit: Any = model.model
    if depth is not None:
        vit.blocks = vit.blocks[:depth]
    state, src = load_weights("panopticon_vitb14", Panopticon_Weights.VIT_BASE14.url,
                              pretrained=pretrained, ckpt_path=ckpt_path)
    if state is not None:
        vit.load_state_dict(_fit_state(state, vit), strict=True)
    return Backbone(module=_PanopticonTokens(model, img_size), name="panopticon_vitb14",
                    bands=None, dim=768, patch_size=PATCH, pretrained=src,
                    wavelength_conditioned=True)


register_backbone(BackboneDef(name="panopticon_vitb14", factory=panopticon_vitb14,
                              input="wavelengths", target=None, dim=768, patch_size=PATCH))
